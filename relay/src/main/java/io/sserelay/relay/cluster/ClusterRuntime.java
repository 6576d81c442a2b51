package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.ClusterNode.Settings;
import io.sserelay.relay.cluster.ClusterNode.Subscriber;
import io.sserelay.relay.cluster.ClusterNode.Transport;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Refusal;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ClusterNode} a step at a time ({@link SerialSteps}): views, peers' messages,
 * publishes and subscriptions are handled in arrival order, mostly on the thread they arrive on
 * (an IO thread, a request's worker), and on the protocol's own thread when that thread is busy
 * or has a backlog; the node ticks every {@code tickMillis}. Callbacks ({@link PublishCallback},
 * {@link Subscriber}) run on whichever thread runs the step and must only hand their work off.
 * Thread-safe.
 */
public final class ClusterRuntime<P> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRuntime.class);

    /** What steps produce is flushed to subscribers and peers at least every this many steps, however busy. */
    private static final int FLUSH_EVERY_STEPS = 64;
    /** The most steps a thread that brought one runs before it goes back to its own work. */
    private static final int INLINE_STEPS = 16;
    /** The most steps the protocol's thread runs before its scheduled ticks get their turn. */
    private static final int LOOP_STEPS = 256;

    private final ClusterNode<P> node;
    private final Transport transport;
    private final ScheduledExecutorService loop;
    private final SerialSteps steps;
    private final long startNanos = System.nanoTime();
    static final long RETAIN_EVERY_MILLIS = 1_000;
    private volatile Status status = new Status(null, null);
    private volatile long forgottenTotal;
    /** When the thread last ticked ({@link System#nanoTime()}); its start counts as one. */
    private volatile long lastTickNanos = System.nanoTime();
    private volatile ClusterNode.Retained retained = new ClusterNode.Retained(0, 0, 0, 0, 0);

    /**
     * @param incarnation grows each time this relay starts (its start time in milliseconds does),
     *                    so that peers tell a restarted relay from the one before
     */
    public ClusterRuntime(String self, long incarnation, Settings settings, Transport transport) {
        this.transport = transport;
        this.node = new ClusterNode<>(self, incarnation, settings, transport, new SecureRandom(),
                () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        this.loop = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sserelay-cluster");
            thread.setDaemon(true);
            return thread;
        });
        this.steps = new SerialSteps(loop, INLINE_STEPS, LOOP_STEPS, FLUSH_EVERY_STEPS, this::flush);
    }

    public ClusterRuntime<P> start(long tickMillis) {
        loop.scheduleWithFixedDelay(() -> submitToLoop(this::tick), tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** As {@link #start(long)}, applying {@code retention} to every copy once a second. */
    public ClusterRuntime<P> start(long tickMillis, ClusterNode.Retention<P> retention) {
        start(tickMillis);
        loop.scheduleWithFixedDelay(() -> submitToLoop(() -> node.retain(retention, System.currentTimeMillis())),
                RETAIN_EVERY_MILLIS, RETAIN_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    private void tick() {
        node.tick(now());
        lastTickNanos = System.nanoTime();
        status = new Status(node.view(), node.awaitedHandovers());
        retained = node.lastRetained();
        forgottenTotal = node.forgottenTotal();
    }

    /**
     * The view this relay has adopted (null before the first) and the relays whose handovers it
     * still waits for (null before a view); as of the last tick.
     */
    public record Status(View view, List<String> awaitedHandovers) {
    }

    public Status status() {
        return status;
    }

    /** Copies of idle streams forgotten since the relay started. */
    public long forgottenTotal() {
        return forgottenTotal;
    }

    /** What the copies held at the last retention pass. */
    public ClusterNode.Retained retained() {
        return retained;
    }

    public String self() {
        return node.self();
    }

    public void view(View view) {
        submitToLoop(() -> node.onView(view, now()));
    }

    /**
     * Envelopes that arrived together, handled in order as one step; one that fails does not keep
     * the others from being handled. A step with a whole copy of streams or a new view in it is the
     * protocol thread's: its cost grows with what the relay holds.
     */
    public void receive(List<Envelope> envelopes) {
        if (envelopes.isEmpty()) {
            return;
        }
        Runnable step = () -> {
            for (Envelope envelope : envelopes) {
                run(() -> node.onMessage(envelope, now()));
            }
        };
        if (anyCostsWithTheRelaysState(envelopes)) {
            submitToLoop(step);
        } else {
            submit(step);
        }
    }

    private static boolean anyCostsWithTheRelaysState(List<Envelope> envelopes) {
        for (Envelope envelope : envelopes) { // for every batch a peer sends: no stream pipeline
            if (costsWithTheRelaysState(envelope)) {
                return true;
            }
        }
        return false;
    }

    private static boolean costsWithTheRelaysState(Envelope envelope) {
        return envelope.body() instanceof Message.Handover<?> || envelope.body() instanceof Message.Sync<?>
                || envelope.body() instanceof Message.ViewIs;
    }

    /** See {@link ClusterNode#publish}. */
    public void publish(String stream, List<P> payloads, String key, String digest, PublishCallback callback) {
        if (!submit(() -> node.publish(stream, payloads, key, digest, now(), callback))) {
            callback.refused(Refusal.CLOSING, "the relay is shutting down");
        }
    }

    public void subscribe(String stream, EventId after, Subscriber<P> subscriber) {
        submit(() -> node.subscribe(stream, after, subscriber, now()));
    }

    /** See {@link ClusterNode#subscribeFromNow}. */
    public void subscribeFromNow(String stream, Subscriber<P> subscriber) {
        submit(() -> node.subscribeFromNow(stream, subscriber, now()));
    }

    public void unsubscribe(String stream, Subscriber<P> subscriber) {
        submit(() -> node.unsubscribe(stream, subscriber));
    }

    /**
     * Whether the protocol's thread has ticked within {@code within}: false means the relay is
     * stuck. Read without a round trip through the thread's queue, so that a busy relay, whose
     * ticks come late but come, is not taken for a stuck one, and asking costs nothing.
     */
    public boolean responsive(java.time.Duration within) {
        return System.nanoTime() - lastTickNanos < within.toNanos();
    }

    private long now() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Queues a step (see {@link SerialSteps}); false when the runtime is closed. */
    private boolean submit(Runnable action) {
        return steps.submit(() -> run(action));
    }

    /** Queues a step for the protocol's own thread (see {@link SerialSteps#submitToLoop}). */
    private boolean submitToLoop(Runnable action) {
        return steps.submitToLoop(() -> run(action));
    }

    private void flush() {
        run(node::flushReaders);
        run(transport::flush);
    }

    /** A fault in the node must not end the thread every stream of this relay depends on. */
    private static void run(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.error("the cluster protocol failed on a step; it goes on with the next", e);
        }
    }

    /**
     * Stops the node after the steps queued before, and returns once they and the stop have run
     * (or after two seconds): what the relay closes next (its links, its connections) is then no
     * longer used by a step still running on another thread.
     */
    @Override
    public void close() {
        CountDownLatch stopped = new CountDownLatch(1);
        boolean queued = submitToLoop(() -> {
            try {
                node.stop();
            } finally {
                stopped.countDown();
            }
        });
        steps.close();
        try {
            if (queued && !stopped.await(2, TimeUnit.SECONDS)) {
                LOG.warn("the cluster protocol did not stop within 2 s");
            }
            loop.shutdown();
            if (!loop.awaitTermination(1, TimeUnit.SECONDS)) {
                loop.shutdownNow();
            }
        } catch (InterruptedException e) {
            loop.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
