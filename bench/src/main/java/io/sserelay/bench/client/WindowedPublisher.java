package io.sserelay.bench.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes benchmark events as fast as the subscribers take them, in batches of
 * {@code batch} events: at most {@code window} events are out at a time, an event being out
 * until every subscriber has received it. This
 * finds the throughput a relay sustains without letting backlogs grow until slow subscribers
 * are cut off. It measures throughput only; latency under a closed loop means nothing.
 *
 * <p>Needs a single origin, so that every subscriber receives events in sequence order: then
 * no event completes before an earlier one, which is what lets the window's slots be reused.
 */
public final class WindowedPublisher implements AutoCloseable {

    private final int window;
    private final int subscribers;
    private final AtomicIntegerArray receivedBy;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stopped;

    public WindowedPublisher(InetSocketAddress relay, String token, String stream, int payloadBytes, int batch,
                             int window, int subscribers) {
        this.window = window;
        this.subscribers = subscribers;
        this.receivedBy = new AtomicIntegerArray(window);
        this.thread = new Thread(() -> {
            try (HttpPublisher publisher = new HttpPublisher(relay, token)) {
                List<byte[]> events = new ArrayList<>(batch);
                for (long next = 1; !stopped; next += batch) {
                    while (next - 1 + batch - completed.get() > window && !stopped) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                    events.clear();
                    long now = EventPayload.now();
                    for (int i = 0; i < batch; i++) {
                        events.add(EventPayload.encode(next + i, now, payloadBytes));
                    }
                    publisher.publishBatch(stream, events);
                }
            } catch (IOException | RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }, "windowed-publisher");
        thread.setDaemon(true);
    }

    public WindowedPublisher start() {
        thread.start();
        return this;
    }

    /** Any thread: a subscriber received event {@code seq}. */
    public void delivered(long seq) {
        int slot = (int) (seq % window);
        if (receivedBy.incrementAndGet(slot) == subscribers) {
            receivedBy.set(slot, 0);
            completed.incrementAndGet();
            LockSupport.unpark(thread);
        }
    }

    /** Events every subscriber has received. */
    public long completed() {
        return completed.get();
    }

    /** What stopped the publisher early, or null. */
    public Throwable failure() {
        return failure.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        LockSupport.unpark(thread);
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }
}
