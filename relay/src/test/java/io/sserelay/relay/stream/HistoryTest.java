package io.sserelay.relay.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The history on its own: retention, what is known lost, and what a position missed. */
class HistoryTest {

    private static final String OWN = "o1";
    private static final EventEncoder NO_FRAMES = (stream, type, data, id) -> () -> 0;

    private long index;
    private Position head = Position.of(OWN, 0);

    @Test
    void keepsTheNewestEventsOfAStreamAndKnowsWhatItEvicted() {
        History history = new History(OWN, new HistoryLimits(2, Duration.ofMinutes(10), 1 << 20));
        StreamLog log = history.log("a");
        for (long seq = 1; seq <= 3; seq++) {
            history.retain(log, event("a", OWN, seq, 0));
        }
        assertThat(history.retainedEvents()).isEqualTo(2);

        History.Missed fromStart = history.missedAfter(List.of(log), Position.of(OWN, 0), false);
        assertThat(fromStart.lostStreams()).as("event 1 is gone").containsExactly("a");
        assertThat(data(fromStart.replay())).containsExactly("o1-2", "o1-3");

        History.Missed fromOne = history.missedAfter(List.of(log), Position.of(OWN, 1), false);
        assertThat(fromOne.lostStreams()).as("nothing it has not seen is gone").isEmpty();
        assertThat(data(fromOne.replay())).containsExactly("o1-2", "o1-3");
    }

    @Test
    void aReplayOverSeveralStreamsIsInAcceptanceOrder() {
        History history = new History(OWN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20));
        StreamLog a = history.log("a");
        StreamLog b = history.log("b");
        history.retain(a, event("a", OWN, 1, 0));
        history.retain(b, event("b", "p2", 1, 0));
        history.retain(a, event("a", OWN, 2, 0));
        History.Missed missed = history.missedAfter(List.of(a, b), Position.EMPTY, false);
        assertThat(data(missed.replay())).containsExactly("o1-1", "p2-1", "o1-2");
    }

    @Test
    void eventsOlderThanTheMaxAgeLeaveAndAResumeFromBeforeThemIsReset() {
        History history = new History(OWN, new HistoryLimits(10, Duration.ofSeconds(1), 1 << 20));
        StreamLog log = history.log("a");
        history.retain(log, event("a", OWN, 1, 0));
        history.retain(log, event("a", OWN, 2, Duration.ofSeconds(5).toNanos()));
        history.evictExpired(Duration.ofMillis(5_500).toNanos());
        assertThat(history.retainedEvents()).isEqualTo(1);
        assertThat(history.missedAfter(List.of(log), Position.EMPTY, false).lostStreams()).containsExactly("a");
    }

    @Test
    void aStreamDroppedWhileIdleRemembersWhatItLost() {
        History history = new History(OWN, new HistoryLimits(1, Duration.ofMinutes(10), 1 << 20));
        StreamLog log = history.log("a");
        history.retain(log, event("a", OWN, 1, 0));
        history.retain(log, event("a", OWN, 2, 0));
        history.evictExpired(Duration.ofHours(1).toNanos());
        assertThat(history.existingLog("a")).as("dropped once it held nothing and had no subscribers").isNull();
        assertThat(history.tombstones()).isEqualTo(1);

        StreamLog back = history.log("a");
        assertThat(history.missedAfter(List.of(back), Position.of(OWN, 1), false).lostStreams()).containsExactly("a");
        assertThat(history.missedAfter(List.of(back), Position.of(OWN, 2), false).lostStreams()).isEmpty();
    }

    @Test
    void tombstonesBeyondTheLimitFoldIntoACautiousRecordForEveryNewStream() {
        History history = new History(OWN, new HistoryLimits(1, Duration.ofMinutes(10), 1 << 20, 1000, 1));
        for (String stream : List.of("a", "b")) {
            StreamLog log = history.log(stream);
            history.retain(log, event(stream, OWN, index + 1, 0));
            history.retain(log, event(stream, OWN, index + 1, 0));
            history.evictExpired(Duration.ofHours(1).toNanos());
            history.enforceLimits(0);
        }
        assertThat(history.tombstones()).isEqualTo(1);
        assertThat(history.forgottenUpTo(OWN)).as("a's record, folded").isEqualTo(2);
        StreamLog fresh = history.log("never-seen");
        assertThat(history.missedAfter(List.of(fresh), Position.of(OWN, 1), false).lostStreams())
                .as("cautious: it may be a stream whose record was folded").containsExactly("never-seen");
    }

    @Test
    void aLossReportedByAPeerIsNewsOnlyOnce() {
        History history = new History(OWN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20));
        StreamLog log = history.log("a");
        assertThat(history.recordLost(log, "p2", 5)).isTrue();
        assertThat(history.recordLost(log, "p2", 5)).isFalse();
        assertThat(history.recordLost(log, "p2", 3)).isFalse();
        history.recordLostWhileIdle("b", "p2", 7);
        assertThat(history.lostAfter("p2", 4)).isEqualTo(Map.of("a", 5L, "b", 7L));
        assertThat(history.lostAfter("p2", 6)).isEqualTo(Map.of("b", 7L));
        assertThat(history.missedAfter(List.of(log), Position.parse("o1-0.p2-4"), false).lostStreams())
                .containsExactly("a");
        assertThat(history.missedAfter(List.of(log), Position.parse("o1-0.p2-5"), false).lostStreams()).isEmpty();
    }

    @Test
    void anOriginLostEverywhereResetsEveryStreamThatNeededIt() {
        History history = new History(OWN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20));
        StreamLog a = history.log("a");
        history.lostEverywhere("zz", 4);
        StreamLog later = history.log("later");
        for (StreamLog log : List.of(a, later)) {
            assertThat(history.missedAfter(List.of(log), Position.parse("o1-0.zz-2"), false).lostStreams())
                    .containsExactly(log.name);
            assertThat(history.missedAfter(List.of(log), Position.parse("o1-0.zz-4"), false).lostStreams()).isEmpty();
        }
        history.purge("zz");
        assertThat(history.forgottenUpTo("zz")).as("a retired origin leaves the records").isZero();
        assertThat(history.missedAfter(List.of(a), Position.parse("o1-0.zz-2"), false).lostStreams()).isEmpty();
    }

    @Test
    void countsRetainedEventsPerOtherOriginAndDropsAnOriginsEventsOnRequest() {
        History history = new History(OWN, new HistoryLimits(10, Duration.ofMinutes(10), 1 << 20));
        StreamLog log = history.log("a");
        history.retain(log, event("a", "p2", 1, 0));
        history.retain(log, event("a", OWN, 1, 0));
        history.retain(log, event("a", "p2", 2, 0));
        assertThat(history.retainedOf("p2")).isEqualTo(2);
        assertThat(history.retainedOf(OWN)).as("this relay's own events are not counted per origin").isZero();
        assertThat(history.retainedAfter("p2", 1)).extracting(Event::seq).containsExactly(2L);
        history.evictOrigin("p2");
        assertThat(history.retainedOf("p2")).isZero();
        assertThat(history.retainedEvents()).isEqualTo(1);
        assertThat(history.lostAfter("p2", 0)).isEqualTo(Map.of("a", 2L));
    }

    @Test
    void stopsAtTheHeapBudgetByEvictingTheOldest() {
        History history = new History(OWN, new HistoryLimits(1000, Duration.ofMinutes(10), 10_000));
        StreamLog log = history.log("a");
        for (long seq = 1; seq <= 200; seq++) {
            history.retain(log, event("a", OWN, seq, 0));
            history.enforceLimits(0);
        }
        assertThat(history.bytes()).isLessThanOrEqualTo(10_000);
        assertThat(history.retainedEvents()).isBetween(1L, 199L);
        assertThat(history.missedAfter(List.of(log), Position.of(OWN, 0), false).lostStreams()).containsExactly("a");
        history.enforceLimits(10_000);
        assertThat(history.retainedEvents()).as("what else the budget counts leaves no room").isZero();
    }

    private Event event(String stream, String origin, long seq, long acceptedNanos) {
        head = head.with(origin, seq);
        return new Event(stream, origin, seq, ++index, null, (origin + "-" + seq).getBytes(StandardCharsets.UTF_8),
                head, acceptedNanos, NO_FRAMES, false);
    }

    private static List<String> data(List<Event> events) {
        return events.stream().map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
    }
}
