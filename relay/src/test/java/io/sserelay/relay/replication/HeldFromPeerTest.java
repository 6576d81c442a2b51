package io.sserelay.relay.replication;

import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.ResumeRequest;
import io.sserelay.relay.stream.StreamHub;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A follower's side of a peer's replicated publishes, on a real hub without sockets. */
class HeldFromPeerTest {

    private final StreamHub hub = new StreamHub("follower", new HistoryLimits(100, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
    private final IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
    private final AtomicInteger tooLarge = new AtomicInteger();
    private final HeldFromPeer held = new HeldFromPeer(hub, keys, 1 << 20, 16, tooLarge::incrementAndGet);
    private final RecordingSubscriber subscriber = new RecordingSubscriber();

    HeldFromPeerTest() {
        hub.subscribe(List.of("s"), ResumeRequest.NONE, subscriber);
        held.hello("origin01", true, 0);
    }

    @Test
    void pendingEventsAreDeliveredOnlyWhenCommittedAndNeverWhenAborted() {
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.hold(event(3, "c"));
        assertThat(held.highest()).isEqualTo(3);
        assertThat(subscriber.data).isEmpty();
        assertThat(hub.head().seqOf("origin01")).as("not in this relay's position").isZero();
        assertThat(hub.retainedEvents()).as("not in its history").isZero();

        held.abort(1, 1);
        held.commit(2, 0);
        assertThat(subscriber.data).containsExactly("b");
        assertThat(hub.head().seqOf("origin01")).isEqualTo(2);
        held.commit(3, 0);
        assertThat(subscriber.data).containsExactly("b", "c");
        assertThat(subscriber.gaps).as("an aborted number is no gap").isEmpty();
    }

    @Test
    void afterTheSameOriginSaysHelloAgainItsCatchUpSaysWhatBecameOfEachHeldEvent() {
        byte[] digest = {7};
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.tag(2, 2, new IdempotencyTag("committed", digest, false), 0);
        held.hold(event(3, "c"));
        held.tag(3, 1, new IdempotencyTag("aborted", digest, true), 0);
        held.hold(event(4, "d"));
        held.tag(4, 1, new IdempotencyTag("waiting", digest, true), 0);

        // The link broke; the COMMIT of 1..2 and the ABORT of 3 were lost with it.
        held.hello("origin01", true, 0);
        assertThat(held.size()).as("kept until the origin says").isEqualTo(4);
        assertThat(held.highest()).as("nothing stale is acknowledged").isZero();
        assertThat(held.replayed(1)).as("the catch-up replays what the origin committed").isTrue();
        assertThat(held.replayed(2)).isTrue();
        assertThat(held.highest()).as("committed at the origin, never pending on this connection").isZero();
        held.commitConfirmed(0);
        held.hold(event(4, "d")); // the origin still holds 4
        held.tag(4, 1, new IdempotencyTag("waiting", digest, true), 0);
        assertThat(held.highest()).isEqualTo(4);
        held.caughtUp(0);
        assertThat(subscriber.data).as("3 was sent neither way: aborted").containsExactly("a", "b");
        assertThat(keys.claim("committed", digest, 0)).isEqualTo(new IdempotencyKeys.Claim.Replay(
                "{\"ids\":[\"follower-0.origin01-1\",\"follower-0.origin01-2\"]}"));
        assertThat(keys.claim("aborted", digest, 0)).isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        assertThat(keys.claim("waiting", digest, 0)).isInstanceOf(IdempotencyKeys.Claim.InProgress.class);

        held.commit(4, 0);
        assertThat(subscriber.data).containsExactly("a", "b", "d");
        assertThat(subscriber.gaps).isEmpty();
    }

    @Test
    void aHeldEventTheCatchUpSkipsOverWasNotCommitted() {
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.hello("origin01", true, 0);
        assertThat(held.replayed(2)).isTrue();
        held.caughtUp(0);
        assertThat(subscriber.data).containsExactly("b");
        assertThat(held.isEmpty()).isTrue();
    }

    @Test
    void aCommitBeforeTheCatchUpEndsBreaksTheProtocol() {
        held.hold(event(1, "a"));
        held.hello("origin01", true, 0);
        assertThatThrownBy(() -> held.commit(1, 0)).hasMessage("COMMIT 1 before the catch-up ended");
    }

    @Test
    void anOriginThatIsGoneHasEverythingHeldDelivered() {
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.hello("restart1", true, 0);
        assertThat(subscriber.data).as("the old origin restarted").containsExactly("a", "b");

        held.hold(event(1, "c"));
        held.hello("restart1", true, 0);
        held.originGone(0);
        assertThat(subscriber.data).as("stale or not, the peer cannot be reached after leaving the set")
                .containsExactly("a", "b", "c");
        assertThat(hub.head().seqOf("restart1")).isEqualTo(1);
    }

    @Test
    void aCommittedPublishWithAKeyIsRememberedWithTheIdsItHasHere() {
        byte[] digest = {9};
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.tag(2, 2, new IdempotencyTag("key-1", digest, false), 0);
        held.hold(event(3, "c"));
        held.tag(3, 1, new IdempotencyTag("key-2", digest, true), 0);
        assertThat(keys.claim("key-1", digest, 0)).as("a retry here while the origin waits is no new publish")
                .isInstanceOf(IdempotencyKeys.Claim.InProgress.class);
        held.abort(3, 3);
        held.commit(2, 0);
        assertThat(keys.claim("key-1", digest, 0)).isEqualTo(new IdempotencyKeys.Claim.Replay(
                "{\"ids\":[\"follower-0.origin01-1\",\"follower-0.origin01-2\"]}"));
        assertThat(keys.claim("key-2", digest, 0)).as("aborted: a retry may publish")
                .isInstanceOf(IdempotencyKeys.Claim.Granted.class);
    }

    @Test
    void aPeerThatHoldsMoreThanItsPublishBudgetAllowsOrOutOfOrderBreaksTheProtocol() {
        HeldFromPeer small = new HeldFromPeer(hub, keys, 100, 1024, () -> { });
        small.hello("origin01", true, 0);
        small.hold(event(1, "x".repeat(60)));
        assertThatThrownBy(() -> small.hold(event(2, "x".repeat(41)))).isInstanceOf(IllegalStateException.class)
                .hasMessage("pending events would hold more than 100 bytes");
        assertThatThrownBy(() -> small.hold(event(1, "again"))).hasMessage("pending event 1 after 1");

        HeldFromPeer many = new HeldFromPeer(hub, keys, 100, 1024, () -> { });
        many.hello("origin01", true, 0);
        for (int seq = 1; seq <= HeldFromPeer.MIN_MAX_EVENTS; seq++) {
            many.hold(event(seq, ""));
        }
        assertThatThrownBy(() -> many.hold(event(HeldFromPeer.MIN_MAX_EVENTS + 1, "")))
                .as("empty events cost no budget, but their number is bounded")
                .hasMessage("pending events would be more than 100000");
    }

    @Test
    void aKeyMustNameTheLastHeldEvents() {
        IdempotencyTag tag = new IdempotencyTag("key-1", new byte[32], false);
        assertThatThrownBy(() -> held.tag(5, 1, tag, 0)).as("nothing held")
                .hasMessage("KEY for events 5..5, which are not the last held");
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        assertThatThrownBy(() -> held.tag(2, Integer.MAX_VALUE, tag, 0)).as("a count far beyond what is held")
                .hasMessage("KEY for events -2147483644..2, which are not the last held");
        assertThatThrownBy(() -> held.tag(1, 1, tag, 0)).as("not the last held")
                .hasMessage("KEY for events 1..1, which are not the last held");
        held.tag(2, 2, tag, 0);
        held.tag(2, 2, tag, 0); // sent again after a reconnect
        held.commit(2, 0);
        assertThat(keys.claim("key-1", new byte[32], 0)).isInstanceOf(IdempotencyKeys.Claim.Replay.class);
    }

    @Test
    void anEventLargerThanThisRelayTakesIsSkippedWithAGapWhenItCommits() {
        held.hold(event(1, "x".repeat(17)));
        held.hold(event(2, "small"));
        held.commit(2, 0);
        assertThat(subscriber.data).containsExactly("small");
        assertThat(subscriber.gaps).containsExactly("s");
        assertThat(tooLarge.get()).isEqualTo(1);
    }

    private static RemoteEvent event(long seq, String data) {
        return new RemoteEvent(seq, "s", null, data.getBytes(StandardCharsets.UTF_8));
    }
}
