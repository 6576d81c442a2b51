package io.sserelay.relay.replication;

import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.ResumeRequest;
import io.sserelay.relay.stream.StreamHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The origin's side of replicated publishes, on a real hub without sockets. */
class ReplicationGateTest {

    private final StreamHub hub = new StreamHub("origin01", new HistoryLimits(100, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
    private final RecordingFollower follower = new RecordingFollower();
    private final RecordingSubscriber subscriber = new RecordingSubscriber();
    private final AtomicBoolean hasPeers = new AtomicBoolean(true);
    private ReplicationGate gate;

    ReplicationGateTest() {
        hub.follow(Position.EMPTY, follower);
        hub.subscribe(List.of("s"), ResumeRequest.NONE, subscriber);
    }

    @AfterEach
    void closeGate() {
        gate.close();
    }

    @Test
    void aPublishIsHeldUntilAPeerAcknowledgesItThenCommittedAndAnswered() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        Answer answer = new Answer();
        gate.publish(requests("a", "b"), null, 0, answer);
        assertThat(follower.frames).containsExactly("HELLO", "PENDING 1", "PENDING 2");
        assertThat(subscriber.data).as("nobody has a held event").isEmpty();
        assertThat(hub.head().seqOf("origin01")).isZero();
        assertThat(answer.outcome.get()).isNull();

        assertThat(gate.acknowledged(1)).isTrue();
        assertThat(gate.acknowledged(2)).isTrue();
        await().until(() -> answer.outcome.get() != null);
        assertThat(answer.outcome.get()).isEqualTo("committed replicated [origin01-1, origin01-2]");
        assertThat(subscriber.data).containsExactly("a", "b");
        assertThat(follower.frames).endsWith("COMMIT 2");
        assertThat(hub.retainedEvents()).isEqualTo(2);
    }

    @Test
    void withoutAnAcknowledgementInTimeThePublishIsAbortedAndItsNumbersNeverExist() {
        gate = new ReplicationGate(hub, Duration.ofMillis(50), hasPeers::get);
        Answer lost = new Answer();
        gate.publish(requests("lost"), null, 0, lost);
        await().until(() -> lost.outcome.get() != null);
        assertThat(lost.outcome.get()).isEqualTo("unconfirmed");
        assertThat(follower.frames).containsExactly("HELLO", "PENDING 1", "ABORT 1..1");
        assertThat(gate.acknowledged(1)).as("a late acknowledgement changes nothing").isTrue();

        Answer next = new Answer();
        gate.publish(requests("next"), null, 0, next);
        gate.acknowledged(2);
        await().until(() -> next.outcome.get() != null);
        assertThat(next.outcome.get()).isEqualTo("committed replicated [origin01-2]");
        assertThat(subscriber.data).containsExactly("next");
        assertThat(hub.retainedEvents()).isEqualTo(1);
    }

    @Test
    void anOlderPublishAbortedWhileALaterOneWaitsDoesNotHoldTheLaterOneBack() {
        List<FutureTask<?>> timeouts = new CopyOnWriteArrayList<>();
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get, task -> {
            FutureTask<?> timeout = new FutureTask<>(task, null);
            timeouts.add(timeout);
            return timeout;
        });
        Answer older = new Answer();
        Answer later = new Answer();
        gate.publish(requests("older"), null, 0, older);
        gate.publish(requests("later"), null, 0, later);
        timeouts.get(0).run();
        assertThat(older.outcome.get()).isEqualTo("unconfirmed");
        assertThat(later.outcome.get()).isNull();
        gate.acknowledged(2);
        await().until(() -> later.outcome.get() != null);
        assertThat(later.outcome.get()).isEqualTo("committed replicated [origin01-2]");
        assertThat(follower.frames).containsExactly("HELLO", "PENDING 1", "PENDING 2", "ABORT 1..1", "COMMIT 2");
    }

    @Test
    void acknowledgementsAreCumulativeAndCommitInOrder() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        Answer first = new Answer();
        Answer second = new Answer();
        gate.publish(requests("1"), null, 0, first);
        gate.publish(requests("2", "3"), null, 0, second);
        gate.acknowledged(3);
        await().until(() -> second.outcome.get() != null && first.outcome.get() != null);
        assertThat(subscriber.data).containsExactly("1", "2", "3");
        assertThat(follower.frames).endsWith("COMMIT 1", "COMMIT 3");
        assertThat(gate.acknowledged(4)).as("never sent").isFalse();
    }

    @Test
    void withoutPeersAPublishIsCommittedAtOnceUnlessAnotherIsStillWaiting() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        hasPeers.set(false);
        Answer alone = new Answer();
        gate.publish(requests("alone"), null, 0, alone);
        assertThat(alone.outcome.get()).isEqualTo("committed local [origin01-1]");

        hasPeers.set(true);
        Answer waiting = new Answer();
        gate.publish(requests("waiting"), null, 0, waiting);
        hasPeers.set(false);
        Answer behind = new Answer();
        gate.publish(requests("behind"), null, 0, behind);
        assertThat(behind.outcome.get()).as("committing it first would put it before seq 2").isNull();
        gate.acknowledged(3);
        await().until(() -> behind.outcome.get() != null);
        assertThat(subscriber.data).containsExactly("alone", "waiting", "behind");
    }

    @Test
    void closingAnswersWhatWaitsAndAbortsItEverywhere() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        Answer waiting = new Answer();
        gate.publish(requests("x"), null, 0, waiting);
        gate.close();
        assertThat(waiting.outcome.get()).isEqualTo("closing");
        assertThat(follower.frames).endsWith("ABORT 1..1");
        Answer after = new Answer();
        gate.publish(requests("y"), null, 0, after);
        assertThat(after.outcome.get()).isEqualTo("closing");
        assertThat(subscriber.data).isEmpty();
    }

    @Test
    void aFollowerThatConnectsWhileAPublishWaitsIsSentItToHold() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        gate.publish(requests("x"), null, 0, new Answer());
        RecordingFollower late = new RecordingFollower();
        hub.follow(Position.EMPTY, late);
        assertThat(late.frames).containsExactly("HELLO", "PENDING 1");
    }

    @Test
    void anAcknowledgementThatComesBackBeforeTheGateReturnsIsAccepted() {
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get);
        List<Boolean> accepted = new CopyOnWriteArrayList<>();
        // A follower whose ACK arrives while the publish is still being held (its IO thread
        // writes the PENDING frames at once, and a loopback peer answers as fast).
        hub.follow(Position.EMPTY, new RecordingFollower() {
            @Override
            public void onHeld(io.sserelay.relay.stream.HeldBatch batch) {
                super.onHeld(batch);
                accepted.add(gate.acknowledged(batch.lastSeq()));
            }
        });
        Answer answer = new Answer();
        gate.publish(requests("fast"), null, 0, answer);
        assertThat(accepted).containsExactly(true);
        await().until(() -> answer.outcome.get() != null);
        assertThat(answer.outcome.get()).isEqualTo("committed replicated [origin01-1]");
    }

    @Test
    void aTimeoutThatFindsThePublishAcknowledgedCommitsIt() {
        List<Runnable> timers = new CopyOnWriteArrayList<>();
        gate = new ReplicationGate(hub, Duration.ofMinutes(1), hasPeers::get, task -> {
            timers.add(task);
            return new FutureTask<>(task, null);
        });
        Answer answer = new Answer();
        gate.publish(requests("in time"), null, 0, answer);
        gate.acknowledged(1);
        // The timeout fires whether or not the queued commit ran first: either way a peer held it.
        timers.get(0).run();
        await().until(() -> answer.outcome.get() != null);
        assertThat(answer.outcome.get()).isEqualTo("committed replicated [origin01-1]");
        assertThat(follower.frames).doesNotContain("ABORT 1..1");
    }

    private static List<PublishRequest> requests(String... data) {
        return java.util.Arrays.stream(data)
                .map(d -> new PublishRequest("s", null, d.getBytes(StandardCharsets.UTF_8))).toList();
    }

    /** Writes down the one outcome it is told. */
    private static final class Answer implements ReplicationGate.Outcome {
        final AtomicReference<String> outcome = new AtomicReference<>();

        @Override
        public void committed(List<Event> events, boolean replicated) {
            set("committed " + (replicated ? "replicated " : "local ")
                    + events.stream().map(e -> e.position().format()).toList());
        }

        @Override
        public void unconfirmed(Duration timeout) {
            set("unconfirmed");
        }

        @Override
        public void closing() {
            set("closing");
        }

        private void set(String value) {
            if (!outcome.compareAndSet(null, value)) {
                throw new AssertionError("a second outcome: " + value + " after " + outcome.get());
            }
        }
    }
}
