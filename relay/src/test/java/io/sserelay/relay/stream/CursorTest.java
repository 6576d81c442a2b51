package io.sserelay.relay.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A subscriber's cursor on its own: what it is sent for a catch-up and for live events, no sockets. */
class CursorTest {

    private static final EventEncoder NO_FRAMES = (stream, type, data, id) -> () -> 0;
    private static final Duration FLOOR_LIFETIME = Duration.ofMinutes(10);

    private long now = 1_000_000_000L;
    private final Cursor cursor = new Cursor(List.of("a"), FLOOR_LIFETIME, () -> now);
    private final RecordingDelivery out = new RecordingDelivery();
    private long index;

    @Test
    void aNewSubscriberIsToldWhereItStands() {
        cursor.start(new CatchUp(null, null, List.of(), List.of(), pos("o1-3"), null), out);
        assertThat(out.steps).containsExactly("id o1-3");
        cursor.offer(event("o1", 4, "e4", "o1-4"), out);
        assertThat(out.steps).containsExactly("id o1-3", "event e4 o1-4");
    }

    @Test
    void aResumeReplaysWhatWasMissedAndNeedsNoIdAfterTheLastEvent() {
        Event e2 = event("o1", 2, "e2", "o1-2");
        Event e3 = event("o1", 3, "e3", "o1-3");
        cursor.start(new CatchUp(pos("o1-1"), pos("o1-1"), List.of(), List.of(e2, e3), pos("o1-3"), null), out);
        assertThat(out.steps).containsExactly("event e2 o1-2", "event e3 o1-3");
        assertThat(cursor.floor()).isNull();
    }

    @Test
    void aResumeWithNothingMissedSendsNothing() {
        cursor.start(new CatchUp(pos("o1-3"), pos("o1-3"), List.of(), List.of(), pos("o1-3"), null), out);
        assertThat(out.steps).isEmpty();
    }

    @Test
    void aResumeOnlyOtherStreamsAdvancedMovesTheIdWithoutAnEvent() {
        cursor.start(new CatchUp(pos("o1-1"), pos("o1-1"), List.of(), List.of(), pos("o1-7"), null), out);
        assertThat(out.steps).containsExactly("id o1-7");
    }

    @Test
    void aRefusedPositionGetsAResetThatMovesTheSubscriberToNow() {
        cursor.start(new CatchUp(null, null, List.of(), List.of(), pos("o1-3"),
                new CatchUp.Refusal(ResetReason.INVALID_LAST_EVENT_ID, "event id '42' is invalid")), out);
        assertThat(out.steps).containsExactly("reset [a] INVALID_LAST_EVENT_ID -> o1-3");
        assertThat(out.resetMessages).containsExactly("event id '42' is invalid; continuing from the current position");
    }

    @Test
    void aResetKeepsTheIdWhenTheRelayReadsThePositionAsSent() {
        Event e5 = event("o1", 5, "e5", "o1-5");
        cursor.start(new CatchUp(pos("o1-1"), pos("o1-1"), List.of("a"), List.of(e5), pos("o1-5"), null), out);
        assertThat(out.steps).containsExactly("reset [a] HISTORY", "event e5 o1-5");
        assertThat(out.resetMessages).containsExactly(ResetReason.HISTORY_MESSAGE);
    }

    @Test
    void aResetMovesTheIdWhenTheRelayReadsThePositionDifferently() {
        // The client named p2 (retired here): it continues from o1-1, not from what it sent,
        // or its every reconnect would be reset again.
        cursor.start(new CatchUp(pos("o1-1.p2-2"), pos("o1-1"), List.of("a"), List.of(), pos("o1-1"), null), out);
        assertThat(out.steps).containsExactly("reset [a] HISTORY -> o1-1");

        RecordingDelivery later = new RecordingDelivery();
        new Cursor(List.of("a"), FLOOR_LIFETIME, () -> now).start(new CatchUp(pos("o1-1.p2-2"), pos("o1-1"),
                List.of("a"), List.of(), pos("o1-4"), null), later);
        assertThat(later.steps).as("then it is moved on to where the relay stands")
                .containsExactly("reset [a] HISTORY -> o1-1", "id o1-4");
    }

    @Test
    void aSubscriberAheadOfThisRelaySkipsWhatItSawAndKeepsItsHigherEntries() {
        // It saw p2 up to 5 on another relay; this one has p2 up to 3 only.
        Event p4 = event("p2", 4, "p4", "o1-2.p2-4");
        Event own = event("o1", 3, "own", "o1-3.p2-4");
        cursor.start(new CatchUp(pos("o1-2.p2-5"), pos("o1-2.p2-5"), List.of(), List.of(), pos("o1-2.p2-3"), null),
                out);
        assertThat(cursor.floor()).isEqualTo(pos("p2-5"));
        assertThat(out.steps).as("its id is already right").isEmpty();
        cursor.offer(p4, out);
        cursor.offer(own, out);
        cursor.offer(event("p2", 5, "p5", "o1-3.p2-5"), out);
        assertThat(out.steps).containsExactly("event own o1-3.p2-5 (own id)");
        cursor.offer(event("p2", 6, "p6", "o1-3.p2-6"), out);
        assertThat(cursor.floor()).as("this relay caught up").isNull();
        assertThat(out.steps).endsWith("event p6 o1-3.p2-6");
    }

    @Test
    void aFloorReplaysOnlyWhatTheSubscriberHasNotSeenWithItsOwnIds() {
        Event p3 = event("p2", 3, "p3", "o1-1.p2-3");
        Event own = event("o1", 2, "own", "o1-2.p2-3");
        cursor.start(new CatchUp(pos("o1-1.p2-4"), pos("o1-1.p2-4"), List.of(), List.of(p3, own), pos("o1-2.p2-3"),
                null), out);
        assertThat(out.steps).containsExactly("event own o1-2.p2-4 (own id)");
    }

    @Test
    void aFloorThatOutlivesTheHistoryForAnOriginNeverLearnedHereEndsWithAReset() {
        cursor.start(new CatchUp(pos("o1-1.zz-9"), pos("o1-1.zz-9"), List.of(), List.of(), pos("o1-1"), null), out);
        cursor.offer(event("o1", 2, "before", "o1-2"), out);
        now += FLOOR_LIFETIME.toNanos() + 1;
        cursor.offer(event("o1", 3, "after", "o1-3"), out);
        assertThat(out.steps).containsExactly("event before o1-2.zz-9 (own id)", "reset [a] FLOOR_EXPIRED",
                "event after o1-3");
        assertThat(cursor.floor()).isNull();
    }

    @Test
    void aFloorThatOutlivesTheHistoryForAnOriginKnownHereEndsQuietly() {
        cursor.start(new CatchUp(pos("o1-1.p2-9"), pos("o1-1.p2-9"), List.of(), List.of(), pos("o1-1.p2-3"), null),
                out);
        now += FLOOR_LIFETIME.toNanos() + 1;
        cursor.offer(event("o1", 2, "e", "o1-2.p2-3"), out);
        assertThat(out.steps).containsExactly("event e o1-2.p2-3");
    }

    @Test
    void learningThatAnOriginStoppedTellsOnlyASubscriberWaitingForIt() {
        assertThat(cursor.originLearned("zz", 9, out)).as("no floor").isFalse();
        cursor.start(new CatchUp(pos("o1-1.zz-5"), pos("o1-1.zz-5"), List.of(), List.of(), pos("o1-1"), null), out);
        assertThat(cursor.originLearned("yy", 9, out)).as("not an origin it waits for").isFalse();
        assertThat(cursor.originLearned("zz", 5, out)).as("it saw all of it").isFalse();
        assertThat(out.steps).isEmpty();
        assertThat(cursor.originLearned("zz", 9, out)).isTrue();
        assertThat(out.steps).containsExactly("reset [a] HISTORY");
    }

    private Event event(String origin, long seq, String data, String position) {
        return new Event("a", origin, seq, ++index, null, data.getBytes(StandardCharsets.UTF_8), pos(position), now,
                NO_FRAMES, false);
    }

    private static Position pos(String text) {
        return Position.parse(text);
    }
}
