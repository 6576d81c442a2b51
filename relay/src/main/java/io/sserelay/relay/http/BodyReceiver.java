package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import org.xnio.XnioExecutor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads a request body without holding a thread while the client sends it, bounded in bytes
 * and in time. A client that stalls mid-body, sends more than the limit or breaks the chunked
 * coding gets its answer (408, 413 or 400) and its connection is closed; it never occupies a
 * worker, so no number of slow clients can keep publishes or subscriptions waiting.
 *
 * <p>Threads: {@link #receive} runs on the exchange's IO thread, and so do Undertow's receive
 * callbacks and the deadline task, so the per-body state needs no synchronization. The
 * complete body is handed to {@code onBody} on that IO thread; dispatch from there.
 */
final class BodyReceiver {

    private final Duration timeout;

    /** @param timeout how long a client may take to send a whole body */
    BodyReceiver(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Receives the body; {@code what} names it in errors ("the batch"), {@code tooLargeCode} is
     * the error code past {@code limit} bytes.
     */
    void receive(HttpServerExchange exchange, int limit, String tooLargeCode, String what, Consumer<byte[]> onBody) {
        new Reception(exchange, limit, tooLargeCode, what, onBody).start();
    }

    private final class Reception {

        private final HttpServerExchange exchange;
        private final int limit;
        private final String tooLargeCode;
        private final String what;
        private final Consumer<byte[]> onBody;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private XnioExecutor.Key deadline;
        private boolean finished;

        Reception(HttpServerExchange exchange, int limit, String tooLargeCode, String what, Consumer<byte[]> onBody) {
            this.exchange = exchange;
            this.limit = limit;
            this.tooLargeCode = tooLargeCode;
            this.what = what;
            this.onBody = onBody;
        }

        void start() {
            // Undertow stops reading past the entity size; one byte more tells "too large" apart.
            exchange.setMaxEntitySize(limit + 1L);
            deadline = exchange.getIoThread().executeAfter(this::timedOut, timeout.toMillis(), TimeUnit.MILLISECONDS);
            exchange.getRequestReceiver().receivePartialBytes(this::received, (ex, e) -> failed(e));
        }

        private void received(HttpServerExchange ignored, byte[] bytes, boolean last) {
            if (finished) {
                return;
            }
            body.write(bytes, 0, bytes.length);
            if (body.size() > limit) {
                fail(tooLarge());
            } else if (last) {
                finished = true;
                deadline.remove();
                onBody.accept(body.toByteArray());
            }
        }

        private void failed(IOException e) {
            if (finished) {
                return;
            }
            if (e instanceof RequestTooBigException) {
                fail(tooLarge());
            } else if (e instanceof MalformedChunkException) {
                fail(ApiError.badRequest("malformed_chunk", e.getMessage()));
            } else {
                // The client closed mid-body; if it is still there, it learns why.
                fail(ApiError.badRequest("unreadable_body", "the request body could not be read: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
            }
        }

        private void timedOut() {
            if (!finished) {
                fail(new ApiError(408, "request_timeout", what + " did not arrive within " + timeout.toMillis()
                        + " ms (" + body.size() + " bytes received); send the whole body at once"));
            }
        }

        private ApiError tooLarge() {
            return ApiError.tooLarge(tooLargeCode, what + " is larger than the limit of " + limit + " bytes");
        }

        private void fail(ApiError error) {
            finished = true;
            deadline.remove();
            exchange.getRequestReceiver().pause();
            error.send(exchange); // closes the connection: the rest of the body is never read
        }
    }
}
