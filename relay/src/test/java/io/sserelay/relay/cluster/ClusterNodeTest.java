package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.ClusterNode.Subscriber;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Refusal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** One relay alone, driven by hand: the cases the simulation reaches only by chance. */
class ClusterNodeTest {

    private long wallClockMicros = 1_796_601_600_000_000L;
    private final ClusterNode<String> node = new ClusterNode<>("a:1", 1, ClusterSimulation.SETTINGS,
            (to, envelope) -> { }, new Random(7), () -> wallClockMicros);
    private final List<List<EventId>> published = new ArrayList<>();

    private void publish(String stream, long now, String... payloads) {
        node.publish(stream, List.of(payloads), null, null, now, new PublishCallback() {
            @Override
            public void published(List<EventId> ids, boolean replayed) {
                published.add(ids);
            }

            @Override
            public void refused(Refusal code, String reason) {
                published.add(List.of());
            }
        });
        node.flushReaders(); // as the runtime does when its thread has nothing left to do
    }

    @Test
    void aLeavingRelayIsWaitedForFromWhenItStartedLeavingThenOnlyBrieflyInEachNewView() {
        long leaving = ClusterSimulation.SETTINGS.leavingTimeout();
        long grace = leaving / ClusterNode.LATE_LEAVING_GRACE_PARTS;
        node.onView(View.of(1, List.of("a:1", "b:1")), 0);
        node.onView(new View(2, List.of("a:1"), List.of("b:1")), 1_000);
        assertThat(node.awaitedHandovers()).containsExactly("b:1");
        // A rolling update: another relay starts leaving just before the first one's time is up,
        // and the first gets the grace of a new view, not a fresh timeout.
        long third = 1_000 + leaving - 1;
        node.onView(new View(3, List.of("a:1"), List.of("b:1", "d:1")), third);
        node.tick(third + grace);
        assertThat(node.awaitedHandovers()).as("b:1's time ran from generation 2").containsExactly("d:1");
        // A third: b:1 may still run and hold copies the owners of this view need, so it is waited
        // for again, but only for the grace.
        long fourth = third + grace + 1;
        node.onView(new View(4, List.of("a:1"), List.of("b:1", "d:1", "e:1")), fourth);
        assertThat(node.awaitedHandovers()).containsExactlyInAnyOrder("b:1", "d:1", "e:1");
        node.tick(fourth + grace);
        assertThat(node.awaitedHandovers()).containsExactlyInAnyOrder("d:1", "e:1");
        node.tick(third + leaving);
        assertThat(node.awaitedHandovers()).as("d:1's time ran from generation 3").containsExactly("e:1");
        // A relay that stopped leaving and leaves again starts over.
        node.onView(new View(5, List.of("a:1"), List.of("e:1")), third + leaving + 1);
        long sixth = third + leaving + 2;
        node.onView(new View(6, List.of("a:1"), List.of("b:1", "e:1")), sixth);
        node.tick(sixth + grace);
        assertThat(node.awaitedHandovers()).as("b:1 has its whole time again; e:1 had only its grace")
                .containsExactly("b:1");
    }

    @Test
    void anIdFromAViewNoRelayHasSeenWaitsAMomentThenGetsAResetNotForever() {
        node.onView(View.of(1, List.of("a:1")), 0);
        publish("s", 1, "one", "two");
        assertThat(published).hasSize(1).allSatisfy(ids -> assertThat(ids).hasSize(2));
        List<String> seen = new ArrayList<>();
        EventId forged = new EventId(EventId.newEpoch(99, 1), wallClockMicros + 5);
        node.subscribe("s", forged, new Subscriber<>() {
            @Override
            public void onEvent(String stream, Entry<String> entry) {
                seen.add(entry.payload());
            }

            @Override
            public void onReset(String stream, EventId resumeFrom) {
                seen.add("reset from " + resumeFrom);
            }
        }, 10);
        node.tick(100);
        assertThat(seen).as("it may only be ahead of this relay").isEmpty();
        node.tick(10 + ClusterSimulation.SETTINGS.interestTtl() + 1);
        assertThat(seen).containsExactly("reset from " + published.get(0).get(1));
        publish("s", 4_000, "three");
        assertThat(seen).last().isEqualTo("three");
    }

    /**
     * A reader whose relay's copy of a stream is replaced by one that lacks the events it had (an
     * owner that holds nothing of the stream after partitions and kills) gets a reset, told with
     * the last id it had. When a copy that holds those events comes back, it gets what follows
     * them, not them again; nor does a reader that reconnects with the id it was told.
     */
    @Test
    void aReaderResetByACopyThatLacksItsEventsDoesNotGetThemAgainWhenTheyComeBack() {
        List<Envelope> sent = new ArrayList<>();
        ClusterNode<String> relay = new ClusterNode<>("a:1", 1, ClusterSimulation.SETTINGS,
                (to, envelope) -> sent.add(envelope), new Random(7), () -> wallClockMicros);
        View view = View.of(1, List.of("a:1", "b:1"));
        String stream = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "s" + i)
                .filter(name -> Placement.owner(view, name).equals("b:1")).findFirst().orElseThrow();
        relay.onView(view, 0);
        // One line numbered by two owners in turn: epoch A, then B from the third event.
        long epochA = EventId.newEpoch(1, 5);
        long epoch = EventId.newEpoch(1, 6);
        List<Entry<String>> line = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            line.add(new Entry<>(new EventId(i < 3 ? epochA : epoch, 1_000 + i), "e" + i));
        }
        List<String> seen = new ArrayList<>();
        relay.subscribe(stream, null, recording(seen), 1);
        long now = answer(relay, sent, stream, 1, epoch, line.subList(0, 3));
        assertThat(seen).containsExactly("e1", "e2", "e3");

        // The owner's copy comes back empty (a new line that holds nothing yet), twice: the reader
        // waits for one answer to a question asked after it began waiting, then is reset.
        now = answer(relay, sent, stream, now, 0, List.of());
        now = answer(relay, sent, stream, now, 0, List.of());
        assertThat(seen).containsExactly("e1", "e2", "e3", "reset from " + line.get(2).id());

        // The copy with the reader's events is back, one more event after them.
        answer(relay, sent, stream, now, epoch, line);
        assertThat(seen).containsExactly("e1", "e2", "e3", "reset from " + line.get(2).id(), "e4");

        List<String> reconnected = new ArrayList<>();
        relay.subscribe(stream, line.get(2).id(), recording(reconnected), now + 1);
        assertThat(reconnected).containsExactly("e4");
    }

    /**
     * An id in the copy's own epoch beyond its last event (forged, or garbled) is answered by the
     * owner for good: a reset to the stream's place, then the events that follow, not silence.
     */
    @Test
    void anIdBeyondTheStreamInItsOwnEpochGetsAResetAndThenTheNextEvents() {
        node.onView(View.of(1, List.of("a:1")), 0);
        publish("s", 1, "one", "two");
        EventId last = published.get(0).get(1);
        List<String> seen = new ArrayList<>();
        node.subscribe("s", new EventId(last.epoch(), last.offset() + 1_000_000_000L), recording(seen), 2);
        node.tick(3);
        node.flushReaders();
        assertThat(seen).containsExactly("reset from " + last);
        publish("s", 4, "three");
        assertThat(seen).containsExactly("reset from " + last, "three");
    }

    /**
     * Publishes that arrive together are handed to readers together, but never after the copy,
     * which keeps a stream's last few events, has dropped some of them: a reader that keeps up
     * gets every event of a burst longer than the copy, without a reset.
     */
    @Test
    void aBurstLongerThanTheCopyKeepsReachesAReaderWhole() {
        ClusterNode<String> small = new ClusterNode<>("a:1", 1, new ClusterNode.Settings(2_000, 4_000, 100, 3_000,
                5_000, 2, 100), (to, envelope) -> { }, new Random(7), () -> wallClockMicros);
        small.onView(View.of(1, List.of("a:1")), 0);
        List<String> seen = new ArrayList<>();
        small.subscribeFromNow("s", recording(seen), 1);
        small.flushReaders();
        for (String payload : List.of("one", "two", "three", "four", "five")) {
            small.publish("s", List.of(payload), null, null, 2, new PublishCallback() {
                @Override
                public void published(List<EventId> numbered, boolean replayed) {
                }

                @Override
                public void refused(Refusal code, String reason) {
                    throw new AssertionError(reason);
                }
            });
        }
        small.flushReaders(); // the runtime's thread had one burst of steps, then nothing left to do
        assertThat(seen).containsExactly("at null", "one", "two", "three", "four", "five");
    }

    /** A subscriber whose hand-off fails does not keep other streams' subscribers from theirs. */
    @Test
    void aFailingHandOffLeavesOtherStreamsToBeHandedTheirs() {
        node.onView(View.of(1, List.of("a:1")), 0);
        List<String> seen = new ArrayList<>();
        node.subscribeFromNow("a", new Subscriber<>() {
            @Override
            public void onEvent(String stream, Entry<String> entry) {
                throw new IllegalStateException("a subscriber's fault");
            }

            @Override
            public void onReset(String stream, EventId resumeFrom) {
            }
        }, 1);
        node.subscribeFromNow("b", recording(seen), 1);
        node.flushReaders();
        for (String stream : List.of("a", "b")) {
            node.publish(stream, List.of("to " + stream), null, null, 2, new PublishCallback() {
                @Override
                public void published(List<EventId> ids, boolean replayed) {
                }

                @Override
                public void refused(Refusal code, String reason) {
                    throw new AssertionError(reason);
                }
            });
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(node::flushReaders).hasMessage("a subscriber's fault");
        node.flushReaders(); // the runtime logs the fault and goes on; its next hand-off reaches b
        assertThat(seen).containsExactly("at null", "to b");
    }

    /**
     * Lets time pass until {@code relay} asks {@code stream}'s owner again, then answers that
     * question from the owner (b:1) with {@code entries} as its whole copy; returns the time.
     */
    private static long answer(ClusterNode<String> relay, List<Envelope> sent, String stream, long now, long epoch,
            List<Entry<String>> entries) {
        sent.clear();
        while (sent.stream().noneMatch(envelope -> envelope.body() instanceof Message.Interest)) {
            now += 100;
            relay.tick(now);
        }
        Message.Interest asked = (Message.Interest) sent.stream().map(Envelope::body)
                .filter(Message.Interest.class::isInstance).reduce((first, last) -> last).orElseThrow();
        relay.onMessage(new Envelope("b:1", 1, 1, new Message.Entries<>(stream, asked.ask(), asked.after(), true, epoch,
                null, entries, List.of())), now);
        relay.flushReaders();
        return now;
    }

    /** What a subscriber hears, as text: events by payload, resets and positions with their ids. */
    private static Subscriber<String> recording(List<String> seen) {
        return new Subscriber<>() {
            @Override
            public void onEvent(String stream, Entry<String> entry) {
                seen.add(entry.payload());
            }

            @Override
            public void onReset(String stream, EventId resumeFrom) {
                seen.add("reset from " + resumeFrom);
            }

            @Override
            public void onPosition(String stream, EventId at) {
                seen.add("at " + at);
            }
        };
    }

    @Test
    void aSubscriberFromNowHearsWhereItStandsThenOnlyWhatFollows() {
        node.onView(View.of(1, List.of("a:1")), 0);
        List<String> onEmpty = new ArrayList<>();
        node.subscribeFromNow("s", recording(onEmpty), 1);
        assertThat(onEmpty).containsExactly("at null");
        publish("s", 2, "one", "two");
        List<String> later = new ArrayList<>();
        node.subscribeFromNow("s", recording(later), 3);
        publish("s", 4, "three");
        assertThat(onEmpty).containsExactly("at null", "one", "two", "three");
        assertThat(later).containsExactly("at " + published.get(0).get(1), "three");
    }

    @Test
    void aStreamsFirstLineStartsAtTheWallClockSoThatItLiesBeyondEveryEarlierLine() {
        node.onView(View.of(1, List.of("a:1")), 0);
        publish("s", 1, "one");
        assertThat(published.get(0).get(0).offset()).isEqualTo(wallClockMicros);
        publish("s", 2, "two");
        assertThat(published.get(1).get(0).offset()).as("then one by one").isEqualTo(wallClockMicros + 1);
    }

    @Test
    void aReaderFromTheStartOfAStreamWhoseFirstEventsRetentionDroppedGetsAReset() {
        ClusterNode<String> small = new ClusterNode<>("a:1", 1, new ClusterNode.Settings(2_000, 4_000, 100, 3_000,
                5_000, 2, 100), (to, envelope) -> { }, new Random(7), () -> wallClockMicros);
        small.onView(View.of(1, List.of("a:1")), 0);
        List<List<EventId>> ids = new ArrayList<>();
        for (String payload : List.of("one", "two", "three")) {
            small.publish("s", List.of(payload), null, null, 1, new PublishCallback() {
                @Override
                public void published(List<EventId> numbered, boolean replayed) {
                    ids.add(numbered);
                }

                @Override
                public void refused(Refusal code, String reason) {
                    throw new AssertionError(reason);
                }
            });
        }
        List<String> seen = new ArrayList<>();
        small.subscribe("s", null, recording(seen), 2);
        assertThat(seen).containsExactly("reset from " + ids.get(0).get(0), "two", "three");
    }

    @Test
    void retentionDropsTheOldestEventsOfAnyStreamForItsBudgetAndForgetsStreamsLeftEmpty() {
        node.onView(View.of(1, List.of("a:1")), 0);
        java.util.Map<String, Long> publishedAt = new java.util.HashMap<>();
        publishedAt.put("a", 1_000L);
        publishedAt.put("b", 2_000L);
        publishedAt.put("c", 3_000L);
        publish("s1", 1, "a");
        publish("s2", 2, "b");
        publish("s1", 3, "c");
        long each = ClusterNode.ENTRY_OVERHEAD_BYTES + 1_000;
        long streams = ClusterNode.streamBytes("s1") + ClusterNode.streamBytes("s2");

        // A pass trims to nine tenths of the budget: this budget's nine tenths hold two events.
        long budget = (2 * each + streams) * 10 / 9 + 10;
        ClusterNode.Retained byBytes = node.retain(new ClusterNode.Retention<String>(0, budget, payload -> 1_000,
                publishedAt::get), 3_500);
        assertThat(byBytes.dropped()).as("the oldest event, whichever its stream").isEqualTo(1);
        assertThat(byBytes.entries()).isEqualTo(2);
        assertThat(byBytes.bytes()).isEqualTo(2 * each + streams);
        assertThat(node.ownedLog("s1").entries()).extracting(Entry::payload).containsExactly("c");
        assertThat(node.ownedLog("s2").entries()).extracting(Entry::payload).containsExactly("b");

        ClusterNode.Retained byAge = node.retain(new ClusterNode.Retention<String>(1_000, 0, payload -> 1_000,
                publishedAt::get), 3_500);
        assertThat(byAge.dropped()).as("b is older than a second").isEqualTo(1);
        assertThat(byAge.forgotten()).as("s2 has nothing left and nobody reads it").isEqualTo(1);
        assertThat(node.ownedLog("s2")).isNull();
        assertThat(node.ownedLog("s1").entries()).extracting(Entry::payload).containsExactly("c");

        // Published to again, s2 starts a new line beyond the old one; a reader of the old one
        // learns it may have missed events, and then gets the new line whole.
        EventId oldB = published.get(1).get(0);
        wallClockMicros += 5_000_000;
        publish("s2", 4, "d");
        EventId d = published.get(3).get(0);
        assertThat(d.epoch()).isNotEqualTo(oldB.epoch());
        assertThat(d.offset()).isGreaterThan(oldB.offset());
        List<String> seen = new ArrayList<>();
        node.subscribe("s2", oldB, recording(seen), 5);
        node.tick(5 + ClusterSimulation.SETTINGS.interestTtl() + 1);
        assertThat(seen).containsExactly("reset from null", "d");
    }

    @Test
    void aPublishIsNumberedWholeAndItsKeyAnswersItsRetry() {
        node.onView(View.of(1, List.of("a:1")), 0);
        List<Object> answers = new ArrayList<>();
        PublishCallback callback = new PublishCallback() {
            @Override
            public void published(List<EventId> ids, boolean replayed) {
                answers.add(ids + (replayed ? " replayed" : ""));
            }

            @Override
            public void refused(Refusal code, String reason) {
                answers.add(code);
            }
        };
        node.publish("s", List.of("a", "b", "c"), "key-1", "digest-1", 1, callback);
        node.publish("s", List.of("a", "b", "c"), "key-1", "digest-1", 2, callback);
        node.publish("s", List.of("x"), "key-1", "digest-2", 3, callback);
        assertThat(answers).hasSize(3);
        assertThat(answers.get(1)).isEqualTo(answers.get(0) + " replayed");
        assertThat(answers.get(2)).isEqualTo(Refusal.KEY_REUSED);
        assertThat(node.ownedLog("s").entries()).extracting(Entry::payload).containsExactly("a", "b", "c");
    }
}
