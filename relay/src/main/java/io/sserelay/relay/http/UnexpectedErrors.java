package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What becomes of a fault in the relay's own code while it serves a request: the client gets the
 * JSON {@code 500 internal_error}, {@code sserelay_unexpected_errors_total} counts it, and the
 * log gets its stack trace at most once a minute per cause (the exception's class and where it
 * was thrown), with the number of repeats since the last one. A client that found a way to make
 * a handler throw can fill neither the log nor the disk with it.
 *
 * <p>Thread-safe: called from IO and worker threads.
 */
public final class UnexpectedErrors {

    private static final Logger LOG = LoggerFactory.getLogger(UnexpectedErrors.class);
    static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Causes remembered at most; any further ones share one entry, so the map stays small. */
    static final int MAX_CAUSES = 128;
    private static final String OTHER = "other causes";

    private final Consumer<String> counter;
    private final LongSupplier nanoClock;
    private final BiConsumer<String, Throwable> log;
    private final Map<String, Cause> causes = new ConcurrentHashMap<>();

    /** @param counter counts each error by where it happened ({@code publish}, {@code subscribe}, ...) */
    public UnexpectedErrors(Consumer<String> counter) {
        this(counter, System::nanoTime, LOG::error);
    }

    /** @param log writes one log line with its stack trace */
    UnexpectedErrors(Consumer<String> counter, LongSupplier nanoClock, BiConsumer<String, Throwable> log) {
        this.counter = counter;
        this.nanoClock = nanoClock;
        this.log = log;
    }

    /** Records {@code error}, raised while serving {@code what} (for the log); returns the answer to send. */
    public ApiError record(String where, String what, Throwable error) {
        counter.accept(where);
        String key = causeOf(error);
        Cause cause = causes.get(key);
        if (cause == null) {
            cause = causes.size() < MAX_CAUSES ? causes.computeIfAbsent(key, k -> new Cause())
                    : causes.computeIfAbsent(OTHER, k -> new Cause());
        }
        long repeats = cause.due(nanoClock.getAsLong());
        if (repeats >= 0) {
            log.accept("unexpected failure serving " + what + (repeats == 0 ? ""
                    : " (the same failure happened " + repeats + " more time(s) since it was last logged)"), error);
        }
        return new ApiError(500, "internal_error", "the relay failed to serve this request; see its log");
    }

    /**
     * Records {@code error}, raised while serving {@code exchange}, and answers it with the 500,
     * or ends the exchange when its response had already begun. On the exchange's IO thread, in
     * its handler; a worker records the error and sends the answer through {@link IoThreadAnswer}.
     */
    public void answer(HttpServerExchange exchange, String where, Throwable error) {
        ApiError answer = record(where, exchange.getRequestMethod() + " " + exchange.getRequestPath(), error);
        if (exchange.isResponseStarted()) {
            exchange.endExchange();
        } else {
            answer.send(exchange);
        }
    }

    /** The exception's class and the place it was thrown. */
    private static String causeOf(Throwable error) {
        StackTraceElement[] trace = error.getStackTrace();
        return error.getClass().getName() + (trace.length == 0 ? "" : " at " + trace[0]);
    }

    /** One cause's log schedule. */
    private static final class Cause {

        private final AtomicLong lastLoggedNanos = new AtomicLong();
        private final AtomicLong suppressed = new AtomicLong();
        private volatile boolean logged;

        /** The repeats to report when this occurrence is to be logged now, or -1 to keep quiet. */
        long due(long now) {
            long last = lastLoggedNanos.get();
            if ((!logged || now - last >= LOG_INTERVAL_NANOS) && lastLoggedNanos.compareAndSet(last, now)) {
                logged = true;
                return suppressed.getAndSet(0);
            }
            suppressed.incrementAndGet();
            return -1;
        }
    }
}
