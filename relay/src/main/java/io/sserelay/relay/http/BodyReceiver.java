package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import org.xnio.XnioExecutor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Reads a request body without holding a thread while the client sends it, bounded in bytes
 * and in time. A client that stalls mid-body, sends more than the limit or breaks the chunked
 * coding gets its answer (408, 413 or 400) and its connection is closed; it never occupies a
 * worker, so no number of slow clients can keep publishes or subscriptions waiting.
 *
 * <p>Memory: the bodies being received or waiting to be published hold heap together within
 * one budget, so many publishers at once cannot fill the heap; past it a publish is answered
 * 503 with Retry-After. Each byte counts twice: once in the buffer it is received into, once
 * in the copy that is parsed.
 *
 * <p>Threads: {@link #receive} runs on the exchange's IO thread, and so do Undertow's receive
 * callbacks and the deadline task, so the per-body state needs no synchronization. The
 * complete body is handed to {@code onBody} on that IO thread; dispatch from there.
 */
final class BodyReceiver {

    /** How long a publisher turned away for memory is asked to wait. */
    static final int BUSY_RETRY_SECONDS = 1;

    private final Duration timeout;
    private final ByteBudget pending;

    /**
     * @param timeout      how long a client may take to send a whole body
     * @param pendingBytes heap all bodies being received or published may hold together
     */
    BodyReceiver(Duration timeout, long pendingBytes) {
        this.timeout = timeout;
        this.pending = new ByteBudget(pendingBytes);
    }

    /**
     * Receives the body; {@code what} names it in errors ("the batch"), {@code tooLargeCode} is
     * the error code past {@code limit} bytes. {@code onBody} gets the body and what to call
     * once it is published (or refused), which gives its memory back to the budget.
     */
    void receive(HttpServerExchange exchange, int limit, String tooLargeCode, String what,
            BiConsumer<byte[], Runnable> onBody) {
        new Reception(exchange, limit, tooLargeCode, what, onBody).start();
    }

    /** Heap held by bodies being received or published, by the budget's count. */
    long pendingBytes() {
        return pending.used();
    }

    long pendingBudget() {
        return pending.limit();
    }

    private final class Reception {

        private final HttpServerExchange exchange;
        private final int limit;
        private final String tooLargeCode;
        private final String what;
        private final BiConsumer<byte[], Runnable> onBody;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private XnioExecutor.Key deadline;
        private boolean finished;
        /** Touched on the IO thread while receiving, then by whoever calls the release. */
        private final AtomicLong reserved = new AtomicLong();

        Reception(HttpServerExchange exchange, int limit, String tooLargeCode, String what,
                BiConsumer<byte[], Runnable> onBody) {
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
            if (!pending.tryReserve(2L * bytes.length)) {
                fail(new ApiError(503, "relay_busy", "publish bodies on this relay already hold " + pending.used() / 1024
                        + " KiB of their " + pending.limit() / 1024 + " KiB budget; retry after " + BUSY_RETRY_SECONDS
                        + " s").withHeader("Retry-After", Integer.toString(BUSY_RETRY_SECONDS)));
                return;
            }
            reserved.addAndGet(2L * bytes.length);
            body.write(bytes, 0, bytes.length);
            if (body.size() > limit) {
                fail(tooLarge());
            } else if (last) {
                finished = true;
                deadline.remove();
                onBody.accept(body.toByteArray(), this::release);
            }
        }

        private void release() {
            pending.release(reserved.getAndSet(0));
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
            release();
            deadline.remove();
            exchange.getRequestReceiver().pause();
            error.send(exchange); // closes the connection: the rest of the body is never read
        }
    }
}
