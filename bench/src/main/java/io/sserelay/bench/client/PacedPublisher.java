package io.sserelay.bench.client;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * Publishes benchmark events at a fixed rate on a fixed schedule: event {@code i} (numbered
 * from 1) is due at {@code start + (i - 1) / rate} and carries that due time in its data.
 * Events go to the relays round-robin, each relay from its own threads and connections (one
 * by default, which keeps a relay's events in order; more let a publisher keep its schedule
 * when each answer takes longer than its period, as one that waits for replication may), so
 * that one slow relay delays only its own share; {@code streamOf} names each event's stream by its
 * sequence number. A publisher that falls behind sends at once and
 * does not skip: the delay shows up in the subscribers' latencies.
 */
public final class PacedPublisher implements AutoCloseable {

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong maxLagNanos = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Microseconds from sending a publish to its 202, for publishes due from {@link #measureFrom}. */
    private final Histogram publishLatency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    private volatile long measureFrom = Long.MAX_VALUE;
    private volatile boolean stopped;

    /**
     * @param relays       where events go, in turn
     * @param ratePerSecond events per second, over all relays
     * @param maxEvents    the publisher stops after this many events
     */
    public PacedPublisher(List<InetSocketAddress> relays, String token, LongFunction<String> streamOf,
                          double ratePerSecond, int payloadBytes, long maxEvents) {
        this(relays, 1, token, streamOf, ratePerSecond, payloadBytes, maxEvents);
    }

    /**
     * @param connectionsPerRelay connections (each with its own thread, one request at a time)
     *                            that share each relay's events in turn
     */
    public PacedPublisher(List<InetSocketAddress> relays, int connectionsPerRelay, String token,
                          LongFunction<String> streamOf, double ratePerSecond, int payloadBytes, long maxEvents) {
        long periodNanos = Math.round(TimeUnit.SECONDS.toNanos(1) / ratePerSecond);
        long start = EventPayload.now() + TimeUnit.MILLISECONDS.toNanos(10);
        int lanes = relays.size() * connectionsPerRelay;
        for (int lane = 0; lane < lanes; lane++) {
            // Lane i mod lanes publishes event i: to relay i mod relays, as lanes is a multiple of relays.
            long first = lane;
            InetSocketAddress relay = relays.get(lane % relays.size());
            Thread thread = new Thread(() -> {
                try (HttpPublisher publisher = new HttpPublisher(relay, token)) {
                    for (long i = first; i < maxEvents && !stopped; i += lanes) {
                        long due = start + i * periodNanos;
                        long wait;
                        while ((wait = due - EventPayload.now()) > 0 && !stopped) {
                            LockSupport.parkNanos(wait);
                        }
                        long lag = EventPayload.now() - due;
                        if (lag > maxLagNanos.get()) {
                            maxLagNanos.accumulateAndGet(lag, Math::max);
                        }
                        long sent = EventPayload.now();
                        publisher.publish(streamOf.apply(i + 1), EventPayload.encode(i + 1, due, payloadBytes));
                        if (due >= measureFrom) {
                            long micros = TimeUnit.NANOSECONDS.toMicros(EventPayload.now() - sent);
                            synchronized (publishLatency) {
                                publishLatency.recordValue(Math.min(micros, publishLatency.getHighestTrackableValue()));
                            }
                        }
                        published.incrementAndGet();
                    }
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "paced-publisher-" + lane);
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
    }

    /** Publishes due from {@code nanos} ({@link EventPayload#now()}) on count in {@link #publishLatency()}. */
    public void measurePublishLatencyFrom(long nanos) {
        measureFrom = nanos;
    }

    /** A copy of the publish latencies measured so far, in microseconds: from sending a publish to its 202. */
    public Histogram publishLatency() {
        synchronized (publishLatency) {
            return publishLatency.copy();
        }
    }

    /** Events the relays have accepted so far. */
    public long published() {
        return published.get();
    }

    /** How late, at worst, an event was sent after its due time: the publisher's own delay. */
    public long maxLagNanos() {
        return maxLagNanos.get();
    }

    /** Whether every thread has stopped, after its last event or on {@link #close()}. */
    public boolean finished() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** What made a publishing thread stop early, or null. */
    public Throwable failure() {
        return failure.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
    }
}
