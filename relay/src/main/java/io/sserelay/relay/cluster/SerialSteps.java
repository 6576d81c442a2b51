package io.sserelay.relay.cluster;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs steps one at a time, in the order they were queued, without a thread of its own to wait
 * for: the thread that queues a step runs the queue itself when no other thread is running it,
 * up to {@code inlineLimit} steps, and hands what is left to {@code loop}. A step queued while
 * another thread runs the queue is run by that thread, which looks again after letting go, so
 * no step waits for a wake-up. Taking and releasing the queue orders the steps' effects, so the
 * state they touch needs no lock of its own.
 *
 * <p>Why: an event that crosses relays passes through every relay's protocol. Handing each step
 * to a dedicated thread cost one wake-up per relay per event, and on a machine with fewer cores
 * than runnable threads a wake-up can wait a scheduler slice (stream-ownership.md, S2).
 *
 * <p>{@code flush} runs after the last queued step, and after every {@code flushEvery} steps
 * however busy: what the steps produced for subscribers and peers goes out in one hand-off per
 * burst. Threads: any; steps and {@code flush} run on whichever thread holds the queue.
 */
final class SerialSteps {

    private final Executor loop;
    private final int inlineLimit;
    private final int flushEvery;
    private final Runnable flush;
    private final ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
    /** Held by the one thread running steps. */
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean closed;
    // Touched only by the thread holding running.
    private int sinceFlush;

    /**
     * @param loop        runs what a queuing thread leaves after {@code inlineLimit} steps
     * @param inlineLimit the most steps a queuing thread runs before it goes back to its own work
     * @param flushEvery  the most steps run between two flushes
     * @param flush       hands on what the steps produced; run by the thread holding the queue
     */
    SerialSteps(Executor loop, int inlineLimit, int flushEvery, Runnable flush) {
        if (inlineLimit < 1 || flushEvery < 1) {
            throw new IllegalArgumentException("inlineLimit and flushEvery must be at least 1");
        }
        this.loop = loop;
        this.inlineLimit = inlineLimit;
        this.flushEvery = flushEvery;
        this.flush = flush;
    }

    /**
     * Queues {@code step} and runs the queue on this thread unless another thread is running it.
     * False, and nothing queued, once {@link #close()} was called. A step that throws is the
     * step's fault alone: the caller wraps steps that may.
     */
    boolean submit(Runnable step) {
        if (closed) {
            return false;
        }
        queued.add(step);
        runQueued(inlineLimit);
        return true;
    }

    /** Queues no step from now on; steps queued before still run. */
    void close() {
        closed = true;
    }

    private void runQueued(int limit) {
        int ran = 0;
        while (!queued.isEmpty() && running.compareAndSet(false, true)) {
            try {
                Runnable step;
                while (ran < limit && (step = queued.poll()) != null) {
                    ran++;
                    step.run();
                    if (++sinceFlush >= flushEvery) {
                        flushNow();
                    }
                }
                if (queued.isEmpty()) {
                    flushNow();
                }
            } finally {
                running.set(false);
            }
            if (ran >= limit && !queued.isEmpty()) {
                handToLoop();
                return;
            }
        }
    }

    private void flushNow() {
        sinceFlush = 0;
        flush.run();
    }

    private void handToLoop() {
        try {
            loop.execute(() -> runQueued(Integer.MAX_VALUE));
        } catch (RejectedExecutionException shutDown) {
            runQueued(Integer.MAX_VALUE); // nothing else will: this thread finishes the queue
        }
    }
}
