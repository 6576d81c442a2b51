package io.sserelay.relay.cluster;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs steps one at a time, in the order they were queued, mostly without a thread of its own to
 * wait for: the thread that queues a step runs the queue itself when no other thread is running
 * it, up to {@code inlineLimit} steps, and hands what is left to {@code loop}. A step queued
 * while another thread runs the queue is run by that thread, which looks again after letting
 * go. Taking and releasing the queue orders the steps' effects, so the state they touch needs no
 * lock of its own.
 *
 * <p>Why: an event that crosses relays passes through every relay's protocol. Handing each step
 * to a dedicated thread cost one wake-up per relay per event, and on a machine with fewer cores
 * than runnable threads a wake-up can wait a scheduler slice (docs/performance.md, S2).
 *
 * <p>Bounds: a step queued with {@link #submitToLoop} (one whose cost grows with the relay's
 * state: a tick, a retention pass, a new view) is only ever run by the loop, so the thread that
 * brought a small step is not kept from its own sockets; a queuing thread that reaches such a
 * step leaves the queue to the loop there. The loop runs at most {@code loopLimit} steps per
 * task before it queues itself again behind the executor's other work (its scheduled ticks).
 *
 * <p>{@code flush} runs at the end of each thread's turn with the queue, and after every
 * {@code flushEvery} steps however busy: what the steps produced for subscribers and peers goes
 * out in one hand-off per burst. Threads: any; steps and {@code flush} run on whichever thread holds the queue.
 */
final class SerialSteps {

    private record Step(Runnable action, boolean loopOnly) {
    }

    private final Executor loop;
    private final int inlineLimit;
    private final int loopLimit;
    private final int flushEvery;
    private final Runnable flush;
    private final ConcurrentLinkedQueue<Step> queued = new ConcurrentLinkedQueue<>();
    /** Held by the one thread running steps. */
    private final AtomicBoolean running = new AtomicBoolean();
    /** A task of the loop is queued and has not started: one is enough. */
    private final AtomicBoolean loopQueued = new AtomicBoolean();
    private volatile boolean closed;
    // Touched only by the thread holding running.
    private int sinceFlush;

    /**
     * @param loop        runs loop-only steps and what a queuing thread leaves
     * @param inlineLimit the most steps a queuing thread runs before it goes back to its own work
     * @param loopLimit   the most steps one task of the loop runs before it lets the loop's other tasks in
     * @param flushEvery  the most steps run between two flushes
     * @param flush       hands on what the steps produced; run by the thread holding the queue
     */
    SerialSteps(Executor loop, int inlineLimit, int loopLimit, int flushEvery, Runnable flush) {
        if (inlineLimit < 1 || loopLimit < 1 || flushEvery < 1) {
            throw new IllegalArgumentException("inlineLimit, loopLimit and flushEvery must be at least 1");
        }
        this.loop = loop;
        this.inlineLimit = inlineLimit;
        this.loopLimit = loopLimit;
        this.flushEvery = flushEvery;
        this.flush = flush;
    }

    /**
     * Queues {@code step} and runs the queue on this thread unless another thread is running it.
     * False, and nothing queued, once {@link #close()} was called. A step that throws ends this
     * thread's turn (the loop takes the rest) and the exception reaches the caller: callers wrap
     * steps that may throw.
     */
    boolean submit(Runnable step) {
        return queue(new Step(step, false));
    }

    /** Queues {@code step} to be run by the loop only, in its place among the others. */
    boolean submitToLoop(Runnable step) {
        return queue(new Step(step, true));
    }

    /** Queues no step from now on; steps queued before still run. */
    void close() {
        closed = true;
    }

    private boolean queue(Step step) {
        if (closed) {
            return false;
        }
        queued.add(step);
        if (step.loopOnly()) {
            handToLoop();
        } else {
            runQueued(inlineLimit, false);
        }
        return true;
    }

    private void runQueued(int limit, boolean onLoop) {
        int ran = 0;
        while (!queued.isEmpty() && running.compareAndSet(false, true)) {
            boolean leftForLoop = false;
            boolean finished = false;
            try {
                Step step;
                while ((step = queued.peek()) != null) {
                    if (ran >= limit || step.loopOnly() && !onLoop) {
                        leftForLoop = true;
                        break;
                    }
                    queued.poll(); // only the holder takes steps, so it is the one just looked at
                    ran++;
                    step.action().run();
                    if (++sinceFlush >= flushEvery) {
                        flushNow();
                    }
                }
                if (sinceFlush > 0) {
                    flushNow(); // what this turn produced goes out now, also when the loop takes the rest
                }
                finished = true;
            } finally {
                running.set(false);
                if (!finished) {
                    handToLoop(); // a step threw: the loop goes on with the rest
                }
            }
            if (leftForLoop) {
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
        if (!loopQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            loop.execute(() -> {
                loopQueued.set(false);
                runQueued(loopLimit, true);
            });
        } catch (RejectedExecutionException shutDown) {
            loopQueued.set(false);
            runQueued(Integer.MAX_VALUE, true); // nothing else will: this thread finishes the queue
        }
    }
}
