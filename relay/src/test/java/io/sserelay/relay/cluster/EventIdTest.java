package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventIdTest {

    @Test
    void theTextFormStaysWithin24CharactersForTheLargestGenerationAndOffset() {
        EventId largest = new EventId(EventId.newEpoch(EventId.MAX_GENERATION, -1), EventId.MAX_OFFSET);
        assertThat(largest.toString()).hasSizeLessThanOrEqualTo(EventId.MAX_TEXT_LENGTH).hasSize(24);
        assertThat(EventId.parse(largest.toString())).isEqualTo(largest);
        EventId typical = new EventId(EventId.newEpoch(12, 0x5a5a5), 4_321);
        assertThat(typical.toString()).isEqualTo(Long.toString(typical.epoch(), 36) + "-3c1");
        assertThat(EventId.parse(typical.toString())).isEqualTo(typical);
    }

    @Test
    void anEpochSortsByTheGenerationItStartedIn() {
        long early = EventId.newEpoch(4, -1);
        long late = EventId.newEpoch(5, 0);
        assertThat(late).isGreaterThan(early);
        assertThat(EventId.generationOf(early)).isEqualTo(4);
        assertThat(EventId.generationOf(late)).isEqualTo(5);
    }

    @Test
    void anythingButTheTextFormIsNoId() {
        for (String garbage : new String[] {null, "", "-", "abc", "abc-", "-12", "0-1", "A1-2", "a1-2-3", "a1--2",
                "a1-+2", "a1- 2", "zzzzzzzzzzzzz-1", "a1-zzzzzzzzzzz", "k3f9a2x1-16.p8x1c0d2-h", "abc:42",
                "é1-2", "a1-2\n"}) {
            assertThat(EventId.parse(garbage)).as(String.valueOf(garbage)).isNull();
        }
    }

    @Test
    void anOutOfRangeIdIsNotMade() {
        assertThatThrownBy(() -> new EventId(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EventId(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventId.newEpoch(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventId.newEpoch(EventId.MAX_GENERATION + 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
