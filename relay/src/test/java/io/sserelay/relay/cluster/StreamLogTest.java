package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StreamLogTest {

    private static final long E1 = EventId.newEpoch(1, 7);
    private static final long E2 = EventId.newEpoch(2, 9);

    private static Entry<String> entry(long epoch, long offset) {
        return new Entry<>(new EventId(epoch, offset), "e" + offset);
    }

    @Test
    void itsWeightFollowsItsEntriesThroughAppendsTrimsTruncationsAndCopies() {
        java.util.function.ToLongFunction<Entry<String>> byOffset = entry -> entry.id().offset();
        StreamLog<String> log = new StreamLog<>(3, E1);
        log.appendCommitted(entry(E1, 1));
        assertThat(log.weight(byOffset)).as("the first call weighs what is there").isEqualTo(1);
        log.appendCommitted(entry(E1, 2));
        log.appendCommitted(entry(E1, 3));
        log.appendCommitted(entry(E1, 4)); // over 3 entries: 1 goes
        assertThat(log.weight(byOffset)).isEqualTo(2 + 3 + 4);
        log.append(entry(E1, 5));
        log.append(entry(E1, 6));
        StreamLog<String> copy = log.copy();
        log.truncateAfter(entry(E1, 5).id());
        assertThat(log.weight(byOffset)).isEqualTo(2 + 3 + 4 + 5);
        assertThat(copy.weight(byOffset)).as("a copy keeps its own").isEqualTo(2 + 3 + 4 + 5 + 6);
        log.trimWhile(entry -> entry.id().offset() < 4);
        assertThat(log.weight(byOffset)).isEqualTo(4 + 5);
        assertThat(log.weight(entry -> 1)).as("another weigher weighs afresh").isEqualTo(2);
    }

    @Test
    void aReaderOfTheLastTrimmedEntryStillResumesExactly() {
        StreamLog<String> log = new StreamLog<>(3, E1);
        for (int offset = 1; offset <= 5; offset++) {
            log.appendCommitted(entry(E1, offset));
        }
        assertThat(log.trimmedThrough()).isEqualTo(new EventId(E1, 2));
        assertThat(log.committedAfter(new EventId(E1, 2))).extracting(Entry::payload).containsExactly("e3", "e4", "e5");
        assertThat(log.committedAfter(new EventId(E1, 1))).isNull();
        assertThat(log.committedAfter(new EventId(E1, 4))).extracting(Entry::payload).containsExactly("e5");
        assertThat(log.committedAfter(new EventId(E2, 4))).isNull();
    }

    @Test
    void pendingEntriesAreNeitherReadNorTrimmedAndOnlyTheyCanBeTruncated() {
        StreamLog<String> log = new StreamLog<>(2, E1);
        log.appendCommitted(entry(E1, 1));
        log.append(entry(E1, 2));
        log.append(entry(E1, 3));
        log.append(entry(E1, 4));
        assertThat(log.committedAfter(null)).extracting(Entry::payload).containsExactly("e1");
        assertThat(log.trimmedThrough()).isNull();
        assertThat(log.commitThrough(new EventId(E1, 3))).extracting(Entry::payload).containsExactly("e2", "e3");
        assertThat(log.trimmedThrough()).as("pending entries count towards retention").isEqualTo(new EventId(E1, 2));
        log.truncateAfter(new EventId(E1, 3));
        assertThat(log.pending()).isEmpty();
        assertThatThrownBy(() -> log.truncateAfter(new EventId(E1, 2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> log.append(entry(E1, 3))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReaderOfALostLineGoesOnWhereTheLinesPartedOrAfterItsOwnOffset() {
        StreamLog<String> log = new StreamLog<>(100, E2);
        for (int offset = 1; offset <= 8; offset++) {
            log.appendCommitted(entry(E1, offset));
        }
        for (int offset = 9; offset <= 12; offset++) {
            log.appendCommitted(entry(E2, offset));
        }
        // it saw E1 up to 11, of which 9 to 11 were lost: E2's 9 to 12 are news to it
        assertThat(log.committedAfterDivergence(new EventId(E1, 11))).extracting(Entry::payload)
                .containsExactly("e9", "e10", "e11", "e12");
        // an epoch this copy never saw: nothing at or before its offset, which it may have seen
        assertThat(log.committedAfterDivergence(new EventId(EventId.newEpoch(2, 1), 10))).extracting(Entry::payload)
                .containsExactly("e11", "e12");
        assertThat(log.committedBefore(new EventId(E2, 9))).isEqualTo(new EventId(E1, 8));
    }

    @Test
    void retentionByAgeOrBudgetDropsCommittedEntriesFromTheOldestWithTheirKeys() {
        StreamLog<String> log = new StreamLog<>(100, E1);
        for (int offset = 1; offset <= 4; offset++) {
            log.appendCommitted(entry(E1, offset));
        }
        log.append(entry(E1, 5));
        log.putKey(new KeyRecord("k1", "d", List.of(new EventId(E1, 1), new EventId(E1, 2))));
        log.putKey(new KeyRecord("k3", "d", List.of(new EventId(E1, 3))));
        assertThat(log.trimWhile(e -> e.id().offset() <= 2)).isEqualTo(2);
        assertThat(log.trimmedThrough()).isEqualTo(new EventId(E1, 2));
        assertThat(log.key("k1")).isNull();
        assertThat(log.key("k3")).isNotNull();
        assertThat(log.trimWhile(e -> true)).as("never a pending entry").isEqualTo(2);
        assertThat(log.entries()).extracting(Entry::payload).containsExactly("e5");
        assertThat(log.committedAfter(new EventId(E1, 4))).isEmpty();
    }

    @Test
    void aCopyOfCommittedEntriesKeepsItsRetentionMark() {
        StreamLog<String> log = StreamLog.committed(10, E1, new EventId(E1, 4),
                List.of(entry(E1, 5), entry(E1, 6)));
        assertThat(log.committedAfter(new EventId(E1, 4))).hasSize(2);
        assertThat(log.last()).isEqualTo(new EventId(E1, 6));
        assertThat(log.copyAllCommitted().committedCount()).isEqualTo(2);
    }
}
