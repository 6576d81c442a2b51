package io.sserelay.relay.http;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes that many requests hold together, within a limit. Thread-safe. */
final class ByteBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    ByteBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} if they fit; nothing is taken otherwise. */
    boolean tryReserve(long bytes) {
        long now = used.addAndGet(bytes);
        if (now > limit) {
            used.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
