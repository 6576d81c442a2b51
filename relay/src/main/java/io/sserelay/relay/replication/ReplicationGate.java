package io.sserelay.relay.replication;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HeldBatch;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The origin's side of replicated publishes, as a replicated log acknowledges a write once a
 * quorum holds it: a publish is numbered and held ({@link StreamHub#hold}), sent to the peers at
 * once, and answered {@code 202} only when a peer acknowledges holding it; then it is committed
 * (history, subscribers, the COMMIT to peers). Without an acknowledgement within the timeout it is
 * aborted (the ABORT to peers) and answered 503: it is delivered nowhere, so a retry is safe.
 *
 * <p>Acknowledgements are cumulative (a peer holds everything up to the number it sends), and the
 * publishes commit in sequence order. Timeouts run in acceptance order too, so an aborted publish
 * is always the oldest one waiting and never holds back a later one that a peer acknowledges.
 * While any publish waits, later ones wait too, even if the relay has lost its peers meanwhile:
 * committing them out of order would make peers drop the earlier ones as duplicates.
 *
 * <p>Threads: {@link #publish} runs on worker threads and returns at once: nobody waits on a
 * thread for a peer. {@link #acknowledged} runs on the peer port's IO threads; it only raises a
 * number and queues a commit. Commits, timeouts and the answers they send all run on the gate's
 * own thread ({@code relay-replication}), which takes the hub's lock for short steps. The gate's
 * monitor orders numbering with commits and is taken before the hub's lock, never after it.
 */
public final class ReplicationGate implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationGate.class);

    /** How a publish ends; exactly one method is called, once, without any lock held. */
    public interface Outcome {

        /** Committed: answer 202 with these events' ids. */
        void committed(List<Event> events, boolean replicated);

        /** No peer acknowledged within the timeout: answer 503; the events exist nowhere. */
        void unconfirmed(Duration timeout);

        /** The relay is shutting down: answer 503; the events exist nowhere. */
        void closing();
    }

    private final StreamHub hub;
    private final Duration timeout;
    private final BooleanSupplier hasPeers;
    private final ScheduledThreadPoolExecutor thread;
    private final Function<Runnable, Future<?>> timers;
    /** Held publishes in sequence order; guarded by this. */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private boolean closed;
    /** The highest sequence number held; an acknowledgement beyond it is a peer's error. */
    private volatile long issued;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicBoolean commitQueued = new AtomicBoolean();
    private volatile int waitingCount;

    /**
     * @param hasPeers whether the relay has a peer other than itself now: without one, a
     *                 publish is committed at once, as in local mode
     */
    public ReplicationGate(StreamHub hub, Duration timeout, BooleanSupplier hasPeers) {
        this(hub, timeout, hasPeers, null);
    }

    /** @param timers runs each publish's timeout, or null for the gate's own thread (tests fire them by hand) */
    ReplicationGate(StreamHub hub, Duration timeout, BooleanSupplier hasPeers, Function<Runnable, Future<?>> timers) {
        this.hub = hub;
        this.timeout = timeout;
        this.hasPeers = hasPeers;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "relay-replication");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        this.timers = timers != null ? timers
                : task -> thread.schedule(task, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public Duration timeout() {
        return timeout;
    }

    /** Publishes the batch; {@code outcome} hears how it ended, perhaps before this returns. */
    public void publish(List<PublishRequest> requests, IdempotencyTag tag, long acceptedNanos, Outcome outcome) {
        List<Event> local = null;
        boolean refused = false;
        synchronized (this) {
            try {
                if (closed) {
                    refused = true;
                } else if (waiting.isEmpty() && !hasPeers.getAsBoolean()) {
                    local = hub.publish(requests, acceptedNanos);
                } else {
                    // Raised before a follower can see the events: its ACK may come back at once.
                    Waiting held = new Waiting(hub.hold(requests, tag, acceptedNanos, seq -> issued = seq), outcome);
                    waiting.addLast(held);
                    waitingCount = waiting.size();
                    held.timer = timers.apply(() -> expire(held));
                    return;
                }
            } catch (RelayClosingException e) {
                refused = true;
            }
        }
        if (refused) {
            outcome.closing();
        } else {
            outcome.committed(local, false);
        }
    }

    /**
     * A peer holds every held event up to {@code seq}. Any thread; never blocks.
     *
     * @return false when {@code seq} was never held: the peer is broken and should be dropped
     */
    public boolean acknowledged(long seq) {
        if (seq > issued) {
            return false;
        }
        acknowledged.accumulateAndGet(seq, Math::max);
        if (commitQueued.compareAndSet(false, true)) {
            try {
                thread.execute(this::commitAcknowledged);
            } catch (RejectedExecutionException closing) {
                // close() answers whatever is still waiting
            }
        }
        return true;
    }

    /** Publishes waiting for a peer now. */
    public int waiting() {
        return waitingCount;
    }

    private void commitAcknowledged() {
        commitQueued.set(false);
        long upTo = acknowledged.get();
        List<Runnable> answers = new ArrayList<>();
        synchronized (this) {
            Waiting oldest;
            while ((oldest = waiting.peekFirst()) != null && oldest.batch.lastSeq() <= upTo) {
                waiting.pollFirst();
                oldest.timer.cancel(false);
                Waiting committed = oldest;
                List<Event> events;
                try {
                    events = hub.commitHeld(committed.batch);
                } catch (RuntimeException e) {
                    // A broken invariant: the batch is taken out of the hub and the peers' hands
                    // (ABORT), so that the publishes after it can still commit.
                    LOG.error("could not commit held events {}..{}; aborting them", committed.batch.firstSeq(),
                            committed.batch.lastSeq(), e);
                    hub.abortHeld(committed.batch);
                    answers.add(committed.outcome::closing);
                    continue;
                }
                answers.add(() -> committed.outcome.committed(events, true));
            }
            waitingCount = waiting.size();
        }
        answers.forEach(ReplicationGate::answerSafely);
    }

    private void expire(Waiting held) {
        if (acknowledged.get() >= held.batch.lastSeq()) {
            // A peer held it in time; its commit is queued behind this timeout.
            commitAcknowledged();
            return;
        }
        synchronized (this) {
            if (!waiting.remove(held)) {
                return; // committed meanwhile
            }
            waitingCount = waiting.size();
            hub.abortHeld(held.batch);
        }
        answerSafely(() -> held.outcome.unconfirmed(timeout));
    }

    /**
     * Aborts every publish still waiting and answers it 503 (shutting down); later publishes are
     * answered the same. Call before the hub closes, so that the ABORTs reach the peers.
     */
    @Override
    public void close() {
        List<Waiting> aborted;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            aborted = new ArrayList<>(waiting);
            waiting.clear();
            waitingCount = 0;
            for (Waiting held : aborted) {
                held.timer.cancel(false);
                hub.abortHeld(held.batch);
            }
        }
        aborted.forEach(held -> answerSafely(held.outcome::closing));
        thread.shutdownNow();
    }

    private static void answerSafely(Runnable answer) {
        try {
            answer.run();
        } catch (RuntimeException e) {
            LOG.error("answering a replicated publish failed", e);
        }
    }

    private static final class Waiting {
        final HeldBatch batch;
        final Outcome outcome;
        Future<?> timer;

        Waiting(HeldBatch batch, Outcome outcome) {
            this.batch = batch;
            this.outcome = outcome;
        }
    }
}
