package io.sserelay.relay.sse;

import org.xnio.XnioIoThread;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Does the writing for every streaming response (subscribers and peers) that lives on one IO
 * thread.
 *
 * <p>Publishing threads only mark a connection as having something to send; the first mark
 * schedules one task on the IO thread, which then flushes every marked connection, in slices
 * of a few milliseconds (see {@link #drainMarked()}). A burst of events to thousands of
 * connections therefore costs a few tasks per IO thread, not one per connection, and every
 * socket write happens on the thread that owns the socket.
 *
 * <p>A periodic tick on the same thread sends heartbeats to idle connections and closes
 * connections whose socket has accepted nothing for the write timeout.
 */
final class IoThreadWriter {

    /** At most this many frames go into one gathering write. */
    static final int MAX_GATHER = 64;
    /** A gathering write stops adding frames past this many bytes. */
    static final int MAX_GATHER_BYTES = 256 * 1024;
    /**
     * How long one drain writes before the IO thread polls its sockets again. Not final only so
     * that a test can make every drain take several slices.
     */
    static volatile long drainSliceNanos = TimeUnit.MILLISECONDS.toNanos(5);

    private final XnioIoThread thread;
    private final SseSettings settings;
    private final SseWriters owner;
    private final ConcurrentLinkedQueue<StreamingResponse> marked = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final long tickMillis;

    // Touched only on the IO thread.
    private final Set<StreamingResponse> connections = new HashSet<>();
    final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    final ByteBuffer readScratch = ByteBuffer.allocate(256);

    IoThreadWriter(XnioIoThread thread, SseSettings settings, SseWriters owner) {
        this.thread = thread;
        this.settings = settings;
        this.owner = owner;
        long shortest = Math.min(settings.heartbeat().toMillis(), settings.writeTimeout().toMillis());
        this.tickMillis = Math.max(10, Math.min(1000, shortest / 4));
    }

    /** Any thread: have the connection flushed soon on this IO thread. */
    void mark(StreamingResponse connection) {
        marked.offer(connection);
        if (drainScheduled.compareAndSet(false, true)) {
            thread.execute(this::drainMarked);
        }
    }

    /** IO thread. */
    void register(StreamingResponse connection) {
        connections.add(connection);
    }

    /** IO thread. */
    void unregister(StreamingResponse connection) {
        connections.remove(connection);
    }

    /**
     * Flushes marked connections for at most {@link #drainSliceNanos}, then leaves the rest for
     * a continuation after the IO thread has polled its sockets. XNIO runs queued tasks until its
     * queue is empty before it selects again, so without the pause a long drain would keep this
     * thread from reading the next publish request until every connection had been written: one
     * event per write. With it, events keep arriving during a drain and each later write carries
     * all of them; under load the relay writes fewer, larger batches.
     */
    private void drainMarked() {
        long deadline = System.nanoTime() + drainSliceNanos;
        int flushed = 0;
        while (true) {
            StreamingResponse connection = marked.poll();
            if (connection == null) {
                drainScheduled.set(false);
                // A mark made between the poll and the reset found the flag set and scheduled nothing.
                if (marked.isEmpty() || !drainScheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            connection.flushMarked();
            if (++flushed % 32 == 0 && System.nanoTime() - deadline > 0) {
                thread.executeAfter(this::drainMarked, 1, TimeUnit.MILLISECONDS); // the flag stays set
                return;
            }
        }
    }

    void startTicking() {
        thread.executeAfter(this::tick, tickMillis, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        if (owner.stopped()) {
            return;
        }
        long now = System.nanoTime();
        long heartbeat = settings.heartbeat().toNanos();
        long writeTimeout = settings.writeTimeout().toNanos();
        for (StreamingResponse connection : new ArrayList<>(connections)) {
            connection.tick(now, heartbeat, writeTimeout);
        }
        startTicking();
    }
}
