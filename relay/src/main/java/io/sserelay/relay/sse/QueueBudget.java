package io.sserelay.relay.sse;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The unsent bytes of all streaming responses together. Each response may hold up to its own
 * buffer, but many slow clients at once must not fill the heap: past this budget, a response
 * holding more than its fair share (the budget over the responses open) is closed as slow,
 * and its client resumes by id when it reconnects. Thread-safe.
 */
final class QueueBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicInteger responses = new AtomicInteger();

    QueueBudget(long limit) {
        this.limit = limit;
    }

    /**
     * Takes {@code bytes} for a response that holds {@code held} bytes with them, unless the
     * budget is spent and that response holds more than its share.
     */
    boolean tryTake(long bytes, long held) {
        long now = used.addAndGet(bytes);
        if (now > limit && held > limit / Math.max(1, responses.get())) {
            used.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    void opened() {
        responses.incrementAndGet();
    }

    void closed() {
        responses.decrementAndGet();
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
