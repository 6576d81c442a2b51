package io.sserelay.relay.replication;

import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.RemoteEvent;
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

    private final StreamHub hub = new StreamHub("follower", new HistoryLimits(100, Duration.ofMinutes(1), 1 << 20), true);
    private final IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
    private final AtomicInteger tooLarge = new AtomicInteger();
    private final HeldFromPeer held = new HeldFromPeer(hub, keys, 1 << 20, 16, tooLarge::incrementAndGet);
    private final RecordingSubscriber subscriber = new RecordingSubscriber();

    HeldFromPeerTest() {
        hub.subscribe(List.of("s"), null, subscriber);
        held.hello("origin01", 0);
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
    void theSameOriginSayingHelloAgainDropsWhatIsHeldForItToSendAgain() {
        held.hold(event(1, "a"));
        held.hello("origin01", 0);
        assertThat(held.size()).isZero();
        held.hold(event(1, "a"));
        held.commit(1, 0);
        assertThat(subscriber.data).containsExactly("a");
    }

    @Test
    void anOriginThatIsGoneHasEverythingHeldDelivered() {
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.hello("restart1", 0);
        assertThat(subscriber.data).as("the old origin restarted").containsExactly("a", "b");

        held.hold(event(1, "c"));
        held.originGone(0);
        assertThat(subscriber.data).as("the peer left the peer set").containsExactly("a", "b", "c");
        assertThat(hub.head().seqOf("restart1")).isEqualTo(1);
    }

    @Test
    void aCommittedPublishWithAKeyIsRememberedWithTheIdsItHasHere() {
        byte[] digest = {9};
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        held.tag(2, 2, new IdempotencyTag("key-1", digest, false));
        held.hold(event(3, "c"));
        held.tag(3, 1, new IdempotencyTag("key-2", digest, true));
        held.abort(3, 3);
        held.commit(2, 0);
        assertThat(keys.claim("key-1", digest, 0)).isEqualTo(new IdempotencyKeys.Claim.Replay(
                "{\"ids\":[\"follower-0.origin01-1\",\"follower-0.origin01-2\"]}"));
        assertThat(keys.claim("key-2", digest, 0)).as("aborted: a retry may publish")
                .isInstanceOf(IdempotencyKeys.Claim.Granted.class);
    }

    @Test
    void aPeerThatHoldsMoreThanTheBoundOrOutOfOrderBreaksTheProtocol() {
        HeldFromPeer small = new HeldFromPeer(hub, keys, 400, 1024, () -> { });
        small.hello("origin01", 0);
        small.hold(event(1, "a"));
        assertThatThrownBy(() -> small.hold(event(2, "x".repeat(300)))).isInstanceOf(IllegalStateException.class)
                .hasMessage("pending events would hold more than 400 bytes");
        assertThatThrownBy(() -> small.hold(event(1, "again"))).hasMessage("pending event 1 after 1");
    }

    @Test
    void aKeyMustNameTheLastHeldEventsAndCountsTowardsTheBound() {
        IdempotencyTag tag = new IdempotencyTag("key-1", new byte[32], false);
        assertThatThrownBy(() -> held.tag(5, 1, tag)).as("nothing held")
                .hasMessage("KEY for events 5..5, which are not the last held");
        held.hold(event(1, "a"));
        held.hold(event(2, "b"));
        assertThatThrownBy(() -> held.tag(2, Integer.MAX_VALUE, tag)).as("a count far beyond what is held")
                .hasMessage("KEY for events -2147483644..2, which are not the last held");
        assertThatThrownBy(() -> held.tag(1, 1, tag)).as("not the last held")
                .hasMessage("KEY for events 1..1, which are not the last held");

        HeldFromPeer small = new HeldFromPeer(hub, keys, 600, 1024, () -> { });
        small.hello("origin01", 0);
        small.hold(event(1, "a"));
        small.tag(1, 1, tag);
        small.hold(event(2, "b"));
        assertThatThrownBy(() -> small.tag(2, 1, new IdempotencyTag("k".repeat(100), new byte[32], true)))
                .hasMessage("pending events would hold more than 600 bytes");
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
