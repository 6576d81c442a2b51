package io.sserelay.relay.stream;

import io.sserelay.relay.sse.SseFrames;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamHubTest {

    private static final String ORIGIN = "o1";

    @Test
    void numbersEventsPerOriginAndGivesEachTheRelayPositionAsId() {
        StreamHub hub = hub(100);
        List<Event> events = publish(hub, "a", "1", "2");
        events.addAll(publish(hub, "b", "3"));
        assertThat(events).extracting(Event::seq).containsExactly(1L, 2L, 3L);
        assertThat(events).extracting(e -> e.position().format()).containsExactly("o1-1", "o1-2", "o1-3");
        assertThat(hub.head().format()).isEqualTo("o1-3");
    }

    @Test
    void aNewSubscriberGetsNoReplayAndTheCurrentPosition() {
        StreamHub hub = hub(100);
        publish(hub, "a", "1", "2");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.NONE, r);
        assertThat(r.catchUp.resumed()).isFalse();
        assertThat(r.catchUp.replay()).isEmpty();
        assertThat(r.catchUp.position().format()).isEqualTo("o1-2");
        publish(hub, "a", "3");
        assertThat(r.data()).containsExactly("3");
    }

    @Test
    void replaysExactlyTheEventsAfterThePositionThenContinuesLive() {
        StreamHub hub = hub(100);
        publish(hub, "a", "1", "2", "3", "4");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 2), r);
        publish(hub, "a", "5");
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.data()).containsExactly("3", "4", "5");
    }

    @Test
    void replaysSeveralStreamsMergedInAcceptanceOrder() {
        StreamHub hub = hub(100);
        publish(hub, "a", "a1");
        publish(hub, "b", "b2");
        publish(hub, "a", "a3");
        publish(hub, "c", "c4");
        publish(hub, "b", "b5");
        Recorder r = new Recorder();
        hub.subscribe(List.of("b", "a"), Position.of(ORIGIN, 0), r);
        assertThat(r.data()).containsExactly("a1", "b2", "a3", "b5");
    }

    @Test
    void reportsAResetWhenEventsAfterThePositionWereEvictedByCount() {
        StreamHub hub = hub(3);
        publish(hub, "a", "1", "2", "3", "4", "5");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 1), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a");
        assertThat(r.data()).containsExactly("3", "4", "5");
        assertThat(hub.resets()).isEqualTo(1);
    }

    @Test
    void noResetWhenOnlyEventsAtOrBeforeThePositionWereEvicted() {
        StreamHub hub = hub(3);
        publish(hub, "a", "1", "2", "3", "4", "5");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 2), r);
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.data()).containsExactly("3", "4", "5");
    }

    @Test
    void evictsByAgeAndThenReportsAReset() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(10), 1 << 20), false, SseFrames.ENCODER);
        long t0 = 1_000_000_000L;
        hub.publish(List.of(request("a", "old")), t0);
        hub.publish(List.of(request("a", "new")), t0 + Duration.ofSeconds(8).toNanos());
        hub.evictExpired(t0 + Duration.ofSeconds(11).toNanos());
        assertThat(hub.retainedEvents()).isEqualTo(1);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 0), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a");
        assertThat(r.data()).containsExactly("new");
    }

    @Test
    void evictsTheOldestEventsOfAllStreamsWhenOverTheByteLimit() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(1000, Duration.ofMinutes(10), 1 << 20), false, SseFrames.ENCODER);
        String kb = "x".repeat(1024);
        for (int i = 0; i < 2000; i++) {
            hub.publish(List.of(request(i % 2 == 0 ? "a" : "b", kb)), System.nanoTime());
        }
        assertThat(hub.retainedBytes()).isLessThanOrEqualTo(1 << 20);
        assertThat(hub.retainedEvents()).isBetween(100L, 1000L);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a", "b"), Position.of(ORIGIN, 0), r);
        assertThat(r.catchUp.resetStreams()).containsExactlyInAnyOrder("a", "b");
        assertThat(r.catchUp.replay()).hasSize((int) hub.retainedEvents());
        assertThat(r.catchUp.replay().get(r.catchUp.replay().size() - 1).seq()).isEqualTo(2000);
    }

    @Test
    void withResumeDisabledEveryMissedEventIsReportedAsAReset() {
        StreamHub hub = hub(0);
        publish(hub, "a", "1", "2");
        assertThat(hub.retainedEvents()).isZero();
        Recorder behind = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 1), behind);
        assertThat(behind.catchUp.resetStreams()).containsExactly("a");
        Recorder current = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 2), current);
        assertThat(current.catchUp.resetStreams()).isEmpty();
    }

    @Test
    void aStreamDroppedWhileIdleStillReportsThatItsEventsAreGone() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 1 << 20), false, SseFrames.ENCODER);
        hub.publish(List.of(request("a", "1")), 0);
        hub.evictExpired(Duration.ofSeconds(5).toNanos());
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 0), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a");
    }

    @Test
    void beyondItsTombstoneLimitTheHubIsCautiousNeverSilent() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 64L << 20), false, SseFrames.ENCODER);
        for (int i = 0; i <= HistoryLimits.DEFAULT_MAX_TOMBSTONES; i++) {
            hub.publish(List.of(request("s" + i, "x")), 0);
        }
        hub.evictExpired(Duration.ofSeconds(5).toNanos()); // every stream is dropped while idle
        Recorder oldest = new Recorder();
        hub.subscribe(List.of("s0"), Position.of(ORIGIN, 0), oldest);
        assertThat(oldest.catchUp.resetStreams()).as("its exact record was folded away").containsExactly("s0");
        Recorder unrelated = new Recorder();
        hub.subscribe(List.of("never-used"), Position.of(ORIGIN, 0), unrelated);
        assertThat(unrelated.catchUp.resetStreams()).as("cautious: it may have lost something").containsExactly(
                "never-used");
        Recorder upToDate = new Recorder();
        hub.subscribe(List.of("never-used-either"), hub.head(), upToDate);
        assertThat(upToDate.catchUp.resetStreams()).isEmpty();
    }

    @Test
    void keepsMemoryProportionalToRetainedEventsWhenOneStreamIsBusy() {
        StreamHub hub = hub(10);
        for (int i = 0; i < 50_000; i++) {
            publish(hub, "busy", "e" + i);
        }
        assertThat(hub.retainedEvents()).isEqualTo(10);
        Recorder r = new Recorder();
        hub.subscribe(List.of("busy"), Position.of(ORIGIN, 49_990), r);
        assertThat(r.data()).containsExactly(IntStream.range(49_990, 50_000).mapToObj(i -> "e" + i).toArray(String[]::new));
    }

    @Test
    void refusesAPositionAheadOfWhatThisRelayAcceptedAndStartsTheSubscriberFromNow() {
        StreamHub hub = hub(10);
        publish(hub, "a", "1");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 5), r);
        assertThat(r.catchUp.refused()).isEqualTo(new CatchUp.Refusal(ResetReason.AHEAD_OF_RELAY,
                "event id 'o1-5' is ahead of this relay: origin o1 has accepted events up to 1 only"));
        assertThat(r.catchUp.resumed()).isFalse();
        assertThat(r.catchUp.replay()).isEmpty();
        publish(hub, "a", "2");
        assertThat(r.data()).containsExactly("2");
    }

    @Test
    void refusesAnUnreadableIdAndStartsTheSubscriberFromNow() {
        StreamHub hub = hub(10);
        publish(hub, "a", "1");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.parse("42"), r);
        assertThat(r.catchUp.refused().reason()).isEqualTo(ResetReason.INVALID_LAST_EVENT_ID);
        assertThat(r.catchUp.refused().message()).startsWith("event id '42' is invalid");
        assertThat(r.catchUp.position().format()).isEqualTo("o1-1");
        publish(hub, "a", "2");
        assertThat(r.data()).containsExactly("2");
    }

    @Test
    void aRelayOnItsOwnResetsAResumeFromAnEarlierRunBecauseThatRunsEventsAreGone() {
        StreamHub hub = hub(10);
        publish(hub, "a", "1", "2");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of("gone", 40), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a");
        assertThat(r.data()).containsExactly("1", "2");
    }

    @Test
    void aClusteredRelayWaitsForPeersToDeliverOriginsItDoesNotKnowYet() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20), true, SseFrames.ENCODER);
        publish(hub, "a", "1", "2");
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.of("peer", 40), r);
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.data()).containsExactly("1", "2");
    }

    @Test
    void aQuietStreamIsNotResetBecauseOtherStreamsLostEvents() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 1 << 20), false, SseFrames.ENCODER);
        Recorder quiet = new Recorder();
        hub.subscribe(List.of("quiet"), ResumeRequest.NONE, quiet);
        hub.publish(List.of(request("busy", "1"), request("busy", "2")), 0);
        hub.unsubscribe(List.of("quiet"), quiet); // the quiet stream is dropped while idle
        hub.evictExpired(Duration.ofSeconds(5).toNanos()); // and so is everything on the busy one
        Recorder back = new Recorder();
        hub.subscribe(List.of("quiet"), quiet.catchUp.position(), back);
        assertThat(back.catchUp.resetStreams()).isEmpty();
        Recorder busy = new Recorder();
        hub.subscribe(List.of("busy"), quiet.catchUp.position(), busy);
        assertThat(busy.catchUp.resetStreams()).containsExactly("busy");
    }

    @Test
    void appliesPeerEventsOnceInTheirOriginsOrderAndFansThemOut() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20), true, SseFrames.ENCODER);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.NONE, r);
        assertThat(hub.applyRemote("p2", List.of(remote(1, "a", "x1"), remote(2, "a", "x2")), 0)).isEqualTo(2);
        assertThat(hub.applyRemote("p2", List.of(remote(2, "a", "x2"), remote(3, "a", "x3")), 0)).isEqualTo(1);
        publish(hub, "a", "own");
        assertThat(r.data()).containsExactly("x1", "x2", "x3", "own");
        assertThat(hub.duplicates()).isEqualTo(1);
        assertThat(hub.head().format()).isEqualTo("o1-1.p2-3");
        assertThat(r.received).extracting(e -> e.position().format())
                .containsExactly("o1-0.p2-1", "o1-0.p2-2", "o1-0.p2-3", "o1-1.p2-3");
    }

    @Test
    void aFollowingPeerGetsOnlyThisOriginsEventsAfterItsPositionWithTheGapsBefore() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(2, Duration.ofMinutes(10), 1 << 20), true, SseFrames.ENCODER);
        publish(hub, "a", "1", "2", "3");
        publish(hub, "b", "4");
        hub.applyRemote("p2", List.of(remote(1, "r", "remote")), 0);
        FollowRecorder peer = new FollowRecorder();
        hub.follow(Position.of(ORIGIN, 0).with("p2", 1), peer);
        assertThat(peer.catchUp.origin()).isEqualTo(ORIGIN);
        assertThat(peer.catchUp.lastSeq()).isEqualTo(4);
        assertThat(peer.catchUp.evictedStreams()).isEqualTo(java.util.Map.of("a", 1L));
        assertThat(peer.catchUp.replay()).extracting(Event::seq).containsExactly(2L, 3L, 4L);
        publish(hub, "c", "5");
        hub.applyRemote("p3", List.of(remote(1, "c", "not forwarded")), 0);
        assertThat(peer.live).extracting(Event::seq).containsExactly(5L);
    }

    @Test
    void tellsSubscribersWhenAPeerLostEventsTheyHadNotReceived() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20), true, SseFrames.ENCODER);
        Recorder a = new Recorder();
        hub.subscribe(List.of("a", "b"), ResumeRequest.NONE, a);
        hub.applyRemote("p2", List.of(remote(1, "a", "x")), 0);
        hub.applyGaps("p2", java.util.Map.of("a", 1L, "b", 5L), 0);
        assertThat(a.gaps).containsExactly(List.of("b"));
        Recorder later = new Recorder();
        hub.subscribe(List.of("b"), Position.of("p2", 1), later);
        assertThat(later.catchUp.resetStreams()).containsExactly("b");
    }

    @Test
    void aStoppedRelaysOriginLeavesTheIdsOnceSilentForTheHistorysMaxAge() {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        Object link = new Object();
        hub.claimOrigin(link, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1"), remote(2, "a", "x2")), T0);
        hub.publish(List.of(request("a", "own")), T0);
        assertThat(hub.head().format()).isEqualTo("o1-1.p2-2");
        hub.claimOrigin(link, "p3", START + 60, T0); // the peer restarted: p2 will never send again
        hub.evictExpired(T0 + seconds(5));
        assertThat(hub.head().format()).as("its events are still retained").isEqualTo("o1-1.p2-2.p3-0");
        hub.evictExpired(T0 + seconds(11));
        assertThat(hub.head().format()).isEqualTo("o1-1.p3-0" + HORIZON);
        assertThat(hub.idOrigins()).isEqualTo(2);
        assertThat(hub.retiredOrigins()).isEqualTo(1);
        assertThat(hub.appliedSeq("p2")).as("still known, so a re-sent event is a duplicate").isEqualTo(2);
        assertThat(hub.applyRemote("p2", List.of(remote(2, "a", "x2")), T0 + seconds(12))).isZero();
    }

    @Test
    void aRunningPeersOriginStaysInTheIdsHoweverLongItIsSilent() {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        hub.claimOrigin(new Object(), "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1")), T0);
        hub.evictExpired(T0 + seconds(3600));
        assertThat(hub.retainedEvents()).isZero();
        assertThat(hub.head().format()).isEqualTo("o1-0.p2-1");
    }

    @Test
    void aPositionNamingARetiredOriginResumesExactlyAndLosesTheEntry() {
        StreamHub hub = retiredP2At(3);
        hub.publish(List.of(request("a", "after")), T0 + seconds(12));
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.parse("o1-1.p2-3"), r);
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.catchUp.from().format()).isEqualTo("o1-1");
        assertThat(r.data()).containsExactly("after");
    }

    @Test
    void aFollowerLearnsTheOriginsNoLinkFollowsAnyMore() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        Object stoppedLink = new Object();
        Object runningLink = new Object();
        hub.claimOrigin(stoppedLink, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1"), remote(2, "a", "x2")), T0);
        hub.claimOrigin(runningLink, "p3", START, T0);
        hub.applyRemote("p3", List.of(remote(1, "a", "y1")), T0);
        hub.releaseOrigin(stoppedLink);
        List<OriginCatchUp> caughtUp = new ArrayList<>();
        hub.follow(Position.of(ORIGIN, 0), new PeerSubscriber() {
            @Override
            public void onCatchUp(OriginCatchUp catchUp) {
                caughtUp.add(catchUp);
            }

            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onHorizon(long horizon) {
            }

            @Override
            public void onRelayClosing() {
            }
        });
        assertThat(caughtUp.get(0).stopped()).as("p3 is followed: it is running")
                .extracting(StoppedOrigin::origin, StoppedOrigin::lastSeq, StoppedOrigin::startedAt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("p2", 2L, START));
    }

    @Test
    void anOriginLearnedFromAPeerIsNamedInIdsAndAResumeFromBeforeItsLastEventIsReset() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        hub.publish(List.of(request("a", "1")), T0);
        Recorder waiting = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.NONE, waiting);
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 3, START, 0)), T0);
        assertThat(hub.head().format()).isEqualTo("o1-1.p2-3");
        assertThat(hub.adoptedOrigins()).isEqualTo(1);
        assertThat(waiting.gaps).as("a live subscriber missed nothing").isEmpty();

        Recorder behind = new Recorder();
        hub.subscribe(List.of("a", "new"), Position.parse("o1-1.p2-1"), behind);
        assertThat(behind.catchUp.resetStreams()).as("p2's events 2 and 3 are not here").containsExactly("a", "new");
        Recorder level = new Recorder();
        hub.subscribe(List.of("a", "new"), Position.parse("o1-1.p2-3"), level);
        assertThat(level.catchUp.resetStreams()).isEmpty();
        Recorder fresh = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.NONE, fresh);
        assertThat(fresh.catchUp.position().format()).as("an id from here says p2 was seen").isEqualTo("o1-1.p2-3");
    }

    @Test
    void aPeerThatHasMoreOfALearnedOriginRaisesIt() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 3, START, 0)), T0);
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 5, START, 0)), T0);
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 4, START, 0)), T0);
        assertThat(hub.head().format()).isEqualTo("o1-0.p2-5");
        assertThat(hub.adoptedOrigins()).isEqualTo(1);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), Position.parse("o1-0.p2-4"), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a");
    }

    @Test
    void aLearnedOriginRetiresWhenItHasBeenSilentForTheHistorysAgeWhereverThatBegan() {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 3, START, 9_000)), T0);
        hub.evictExpired(T0 + seconds(2));
        assertThat(hub.head().format()).as("silent 11 s by then").doesNotContain("p2");
        assertThat(hub.retiredOrigins()).isEqualTo(1);
    }

    @Test
    void anOriginThisRelayKnowsIsNeverAdopted() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        Object link = new Object();
        hub.claimOrigin(link, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1")), T0);
        hub.adoptStopped(List.of(new StoppedOrigin("p2", 9, START, 0), new StoppedOrigin(ORIGIN, 5, START, 0),
                new StoppedOrigin("p4", 0, START, 0)), T0);
        assertThat(hub.head().format()).isEqualTo("o1-0.p2-1");
        assertThat(hub.adoptedOrigins()).isZero();
    }

    @Test
    void aPositionBehindARetiredOriginGetsAResetThatMovesItOn() {
        StreamHub hub = retiredP2At(3);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a", "quiet"), Position.parse("o1-1.p2-2"), r);
        assertThat(r.catchUp.resetStreams()).containsExactly("a", "quiet");
        assertThat(resetTo(r.catchUp).format()).as("the reset moves it on").isEqualTo("o1-1");
    }

    @Test
    void aPositionThatNeverNamedARetiredOriginIsExactOnEitherSideOfIt() {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        Object link = new Object();
        hub.publish(List.of(request("a", "1")), T0);
        Position before = hub.head();
        hub.claimOrigin(link, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1")), T0);
        hub.releaseOrigin(link);
        hub.evictExpired(T0 + seconds(11));
        Position after = hub.head();
        assertThat(after.format()).as("p2 leaves; the horizon says it was seen").isEqualTo("o1-1" + HORIZON);
        Recorder old = new Recorder();
        hub.subscribe(List.of("a"), before, old);
        assertThat(old.catchUp.resetStreams()).as("it was away while p2's events came and went").containsExactly("a");
        Recorder recent = new Recorder();
        hub.subscribe(List.of("a"), after, recent);
        assertThat(recent.catchUp.resetStreams()).isEmpty();
    }

    @Test
    void aPositionFromARelayThatRetiredAnOriginCoversItWhereItIsStillNamed() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        Object link = new Object();
        hub.claimOrigin(link, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1"), remote(2, "a", "x2")), T0);
        // Another relay retired p2 and gives out ids without it but with its horizon.
        Position elsewhere = Position.of(ORIGIN, 0).withHorizon(START);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), elsewhere, r);
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.data()).as("nothing it has seen is sent again").isEmpty();
        Recorder older = new Recorder();
        hub.subscribe(List.of("a"), Position.of(ORIGIN, 0).withHorizon(START - 1), older);
        assertThat(older.data()).as("a horizon before p2 started does not cover it").containsExactly("x1", "x2");
    }

    @Test
    void followersLearnTheHorizonWhenTheyConnectAndWheneverItRises() {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        FollowRecorder peer = new FollowRecorder();
        hub.follow(Position.EMPTY, peer);
        Object link = new Object();
        hub.claimOrigin(link, "p2", START, T0);
        hub.releaseOrigin(link);
        hub.evictExpired(T0 + seconds(11));
        hub.raiseHorizon(START - 5, START);
        hub.raiseHorizon(START + 5, START + 10);
        hub.raiseHorizon(START + 7200, START + 10); // a peer's clock far ahead: ignored
        assertThat(peer.horizons).containsExactly(0L, START, START + 5);
        assertThat(hub.head().horizon()).isEqualTo(START + 5);
        FollowRecorder later = new FollowRecorder();
        hub.follow(Position.EMPTY, later);
        assertThat(later.horizons).containsExactly(START + 5);
    }

    @Test
    void aPeerIsNamedInIdsFromTheMomentItIsFollowed() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        hub.claimOrigin(new Object(), "p2", START, T0);
        assertThat(hub.head().format()).isEqualTo("o1-0.p2-0");
    }

    @Test
    void idsNameAtMostTheRunningRelaysAndSixtyFourStoppedOnesHoweverOftenOneRestarts() {
        StreamHub hub = clustered(Duration.ofMinutes(10));
        Object link = new Object();
        Position first = null;
        for (int restart = 0; restart < 200; restart++) {
            String o = "r" + restart;
            hub.claimOrigin(link, o, START + restart, T0 + restart);
            hub.applyRemote(o, List.of(remote(1, "a", o)), T0 + restart);
            if (first == null) {
                first = hub.head();
            }
            assertThat(hub.head().size()).isLessThanOrEqualTo(1 + StreamHub.MAX_STOPPED_ORIGINS + 1);
        }
        assertThat(hub.head().size()).isEqualTo(1 + StreamHub.MAX_STOPPED_ORIGINS + 1);
        assertThat(Position.parse(hub.head().format())).isEqualTo(hub.head());
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), first, r);
        assertThat(r.catchUp.resetStreams()).as("retired early: their events left the history").containsExactly("a");
        assertThat(r.data()).hasSize(StreamHub.MAX_STOPPED_ORIGINS + 1);
    }

    @Test
    void retiringAnOriginDropsItFromEveryEvictionRecord() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(1, Duration.ofSeconds(10), 1 << 20), true, SseFrames.ENCODER);
        Object link = new Object();
        hub.claimOrigin(link, "p2", START, T0);
        hub.applyRemote("p2", List.of(remote(1, "a", "x1"), remote(2, "a", "x2"), remote(3, "b", "y")), T0);
        Recorder r = new Recorder();
        hub.subscribe(List.of("b"), ResumeRequest.NONE, r);
        hub.unsubscribe(List.of("b"), r);
        hub.releaseOrigin(link);
        hub.evictExpired(T0 + seconds(11));
        assertThat(hub.head().format()).isEqualTo("o1-0" + HORIZON);
        assertThat(hub.tombstones()).isZero();
        assertThat(hub.historyBytes()).isEqualTo(HeapCost.RETIRED_ORIGIN);
        Recorder fresh = new Recorder();
        hub.subscribe(List.of("a", "b"), hub.head(), fresh);
        assertThat(fresh.catchUp.resetStreams()).isEmpty();
    }

    @Test
    void stopsAcceptingAndTellsEverySubscriberOnceWhenClosed() {
        StreamHub hub = hub(10);
        Recorder both = new Recorder();
        hub.subscribe(List.of("a", "b"), ResumeRequest.NONE, both);
        hub.close();
        assertThat(both.closings).isEqualTo(1);
        assertThatThrownBy(() -> publish(hub, "a", "x")).isInstanceOf(RelayClosingException.class);
        assertThatThrownBy(() -> hub.subscribe(List.of("a"), ResumeRequest.NONE, new Recorder()))
                .isInstanceOf(RelayClosingException.class);
    }

    @Test
    void unsubscribedSubscribersGetNothingMore() {
        StreamHub hub = hub(10);
        Recorder r = new Recorder();
        hub.subscribe(List.of("a"), ResumeRequest.NONE, r);
        publish(hub, "a", "1");
        hub.unsubscribe(List.of("a"), r);
        publish(hub, "a", "2");
        assertThat(r.data()).containsExactly("1");
    }

    @Test
    void subscribingToStreamsWithoutEventsAndLeavingAgainLeavesNothingBehind() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 64L << 20, 1000, 10), false, SseFrames.ENCODER);
        // Something has been forgotten already, so every stream may have lost events: that must
        // not make each stream a subscriber names leave a record behind.
        for (int i = 0; i < 20; i++) {
            hub.publish(List.of(request("old" + i, "x")), 0);
        }
        hub.evictExpired(Duration.ofSeconds(5).toNanos());
        assertThat(hub.tombstones()).isEqualTo(10);
        long before = hub.historyBytes();
        for (int i = 0; i < 10_000; i++) {
            Recorder r = new Recorder();
            List<String> streams = List.of("r" + i + "a", "r" + i + "b", "r" + i + "c");
            hub.subscribe(streams, i % 2 == 0 ? null : Position.of(ORIGIN, 3), r);
            hub.unsubscribe(streams, r);
        }
        assertThat(hub.liveStreams()).isZero();
        assertThat(hub.tombstones()).isEqualTo(10);
        assertThat(hub.historyBytes()).isEqualTo(before);
    }

    @Test
    void theByteBudgetCountsWhatEachEventAndStreamHoldsNotOnlyItsData() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofMinutes(10), 1 << 20), false, SseFrames.ENCODER);
        for (int i = 0; i < 100_000; i++) {
            hub.publish(List.of(request("user." + i, "{}")), System.nanoTime());
        }
        assertThat(hub.historyBytes()).isLessThanOrEqualTo(1 << 20);
        long perStreamAndEvent = HeapCost.EVENT + HeapCost.STREAM;
        assertThat(hub.retainedEvents()).isPositive().isLessThan((1 << 20) / perStreamAndEvent);
        assertThat(hub.retainedStreams()).isEqualTo(hub.retainedEvents());
        Recorder newest = new Recorder();
        hub.subscribe(List.of("user.99999"), Position.of(ORIGIN, 99_999), newest);
        assertThat(newest.catchUp.resetStreams()).isEmpty();
        assertThat(newest.data()).containsExactly("{}");
        Recorder oldest = new Recorder();
        hub.subscribe(List.of("user.0"), Position.of(ORIGIN, 0), oldest);
        assertThat(oldest.catchUp.resetStreams()).containsExactly("user.0");
    }

    @Test
    void keepsAtMostTheConfiguredNumberOfStreamsDroppingTheOldestFirst() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofMinutes(10), 64L << 20, 100, 1000), false, SseFrames.ENCODER);
        for (int i = 0; i < 1000; i++) {
            publish(hub, "s" + i, "a", "b");
        }
        assertThat(hub.retainedStreams()).isEqualTo(100);
        assertThat(hub.retainedEvents()).isEqualTo(200);
        Recorder kept = new Recorder();
        hub.subscribe(List.of("s900"), Position.of(ORIGIN, 0), kept);
        assertThat(kept.catchUp.resetStreams()).isEmpty();
        assertThat(kept.data()).containsExactly("a", "b");
        Recorder dropped = new Recorder();
        hub.subscribe(List.of("s899"), Position.of(ORIGIN, 0), dropped);
        assertThat(dropped.catchUp.resetStreams()).containsExactly("s899");
    }

    @Test
    void keepsAtMostTheConfiguredNumberOfTombstonesAndStaysCautiousBeyondThem() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 64L << 20, 1000, 50), false, SseFrames.ENCODER);
        for (int i = 0; i < 200; i++) {
            hub.publish(List.of(request("s" + i, "x")), 0);
        }
        hub.evictExpired(Duration.ofSeconds(5).toNanos());
        assertThat(hub.tombstones()).isEqualTo(50);
        assertThat(hub.tombstoneBytes()).isPositive();
        Recorder folded = new Recorder();
        hub.subscribe(List.of("s0"), Position.of(ORIGIN, 100), folded);
        assertThat(folded.catchUp.resetStreams()).as("s0's record was folded; cautious").containsExactly("s0");
        Recorder remembered = new Recorder();
        hub.subscribe(List.of("s170"), Position.of(ORIGIN, 171), remembered);
        assertThat(remembered.catchUp.resetStreams()).as("s170 lost only what the reader saw").isEmpty();
    }

    @Test
    void foldingAwayOtherStreamsRecordsDoesNotResetAStreamThatLostNothing() {
        StreamHub hub = new StreamHub(ORIGIN, new HistoryLimits(100, Duration.ofSeconds(1), 64L << 20, 1000, 1), false, SseFrames.ENCODER);
        long t0 = Duration.ofSeconds(100).toNanos();
        hub.publish(List.of(request("gone1", "x")), 0);
        hub.publish(List.of(request("gone2", "x")), 0);
        hub.publish(List.of(request("busy", "1"), request("busy", "2")), t0);
        hub.evictExpired(t0 + Duration.ofMillis(500).toNanos());
        assertThat(hub.tombstones()).isEqualTo(1); // gone1 was folded into the record for all streams
        Recorder r = new Recorder();
        hub.subscribe(List.of("busy"), Position.of(ORIGIN, 2), r);
        assertThat(r.catchUp.resetStreams()).isEmpty();
        assertThat(r.data()).containsExactly("1", "2");
    }

    @Test
    void reportsItselfStuckWhileSomethingHoldsItsLock() throws Exception {
        StreamHub hub = hub(10);
        assertThat(hub.responsive(Duration.ofMillis(100))).isTrue();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder stuck = new Recorder() {
            @Override
            public void onEvent(Event event) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        hub.subscribe(List.of("a"), ResumeRequest.NONE, stuck);
        Thread publisher = new Thread(() -> publish(hub, "a", "1"));
        publisher.start();
        inside.await();
        assertThat(hub.responsive(Duration.ofMillis(100))).isFalse();
        release.countDown();
        publisher.join();
        assertThat(hub.responsive(Duration.ofMillis(100))).isTrue();
    }

    private static final long T0 = 1_000_000_000L;
    /** When the peers in these tests started, seconds since the epoch. */
    private static final long START = 1_790_000_000L;
    /** How ids write a horizon of {@link #START}. */
    private static final String HORIZON = ".~" + Long.toString(START, 36);

    private static long seconds(long s) {
        return Duration.ofSeconds(s).toNanos();
    }

    private static StreamHub clustered(Duration maxAge) {
        return new StreamHub(ORIGIN, new HistoryLimits(100, maxAge, 64L << 20), true, SseFrames.ENCODER);
    }

    /** A hub that applied p2's events 1-3 on stream a after its own event 1, and then retired p2. */
    private static StreamHub retiredP2At(long last) {
        StreamHub hub = clustered(Duration.ofSeconds(10));
        Object link = new Object();
        hub.publish(List.of(request("a", "own")), T0);
        hub.claimOrigin(link, "p2", START, T0);
        for (long seq = 1; seq <= last; seq++) {
            hub.applyRemote("p2", List.of(remote(seq, "a", "x" + seq)), T0);
        }
        hub.releaseOrigin(link);
        hub.evictExpired(T0 + seconds(11));
        assertThat(hub.head().format()).isEqualTo("o1-1" + HORIZON);
        return hub;
    }

    private static StreamHub hub(int maxEvents) {
        return new StreamHub(ORIGIN, new HistoryLimits(maxEvents, Duration.ofMinutes(10), 64L << 20), false, SseFrames.ENCODER);
    }

    private static List<Event> publish(StreamHub hub, String stream, String... data) {
        List<PublishRequest> requests = new ArrayList<>();
        for (String d : data) {
            requests.add(request(stream, d));
        }
        return new ArrayList<>(hub.publish(requests, System.nanoTime()));
    }

    private static RemoteEvent remote(long seq, String stream, String data) {
        return new RemoteEvent(seq, stream, null, data.getBytes(StandardCharsets.UTF_8));
    }

    private static PublishRequest request(String stream, String data) {
        return new PublishRequest(stream, null, data.getBytes(StandardCharsets.UTF_8));
    }

    /** Where the cursor of a subscriber that got {@code catchUp} moves it with its reset, or null. */
    private static Position resetTo(CatchUp catchUp) {
        RecordingDelivery out = new RecordingDelivery();
        new Cursor(List.of("a"), Duration.ofMinutes(10), System::nanoTime).start(catchUp, out);
        return out.resetTo;
    }

    /** Records what the hub hands a subscriber: the catch-up's replay followed by live events. */
    private static class Recorder implements Subscriber {
        CatchUp catchUp;
        final List<Event> received = new ArrayList<>();
        final List<List<String>> gaps = new ArrayList<>();
        int closings;

        @Override
        public void onCatchUp(CatchUp catchUp) {
            this.catchUp = catchUp;
            received.addAll(catchUp.replay());
        }

        @Override
        public void onEvent(Event event) {
            received.add(event);
        }

        @Override
        public void onGap(List<String> streams) {
            gaps.add(streams);
        }

        @Override
        public void onRelayClosing() {
            closings++;
        }

        List<String> data() {
            return received.stream().map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
        }
    }

    private static final class FollowRecorder implements PeerSubscriber {
        OriginCatchUp catchUp;
        final List<Long> horizons = new ArrayList<>();
        final List<Event> live = new ArrayList<>();

        @Override
        public void onCatchUp(OriginCatchUp catchUp) {
            this.catchUp = catchUp;
        }

        @Override
        public void onEvent(Event event) {
            live.add(event);
        }

        @Override
        public void onHorizon(long horizon) {
            horizons.add(horizon);
        }

        @Override
        public void onRelayClosing() {
        }
    }
}
