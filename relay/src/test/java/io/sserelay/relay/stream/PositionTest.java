package io.sserelay.relay.stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PositionTest {

    @Test
    void formatsEntriesSortedByOriginRegardlessOfInsertionOrder() {
        Position p = Position.of("zz", 3).with("aa", 7).with("mm", 1);
        assertThat(p.format()).isEqualTo("aa-7.mm-1.zz-3");
        assertThat(Position.parse("zz-3.aa-7.mm-1")).isEqualTo(p);
    }

    @Test
    void roundTripsThroughTheWireFormWithSequenceNumbersInBase36() {
        Position p = Position.parse("k3f9a2x1-16.p8x1c0d2-7");
        assertThat(p.seqOf("k3f9a2x1")).isEqualTo(42);
        assertThat(p.seqOf("p8x1c0d2")).isEqualTo(7);
        assertThat(p.seqOf("unknown")).isZero();
        assertThat(p.format()).isEqualTo("k3f9a2x1-16.p8x1c0d2-7");
        assertThat(Position.parse(p.format())).isEqualTo(p);
        assertThat(Position.of("a", Long.MAX_VALUE).format()).isEqualTo("a-1y2p0ij32e8e7");
        assertThat(Position.parse("a-1y2p0ij32e8e7").seqOf("a")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void readsIdsOfTheFirstFormSoThatEarlierIdsResumeExactly() {
        Position p = Position.parse("k3f9a2x1:42.p8x1c0d2:7");
        assertThat(p).isEqualTo(Position.of("k3f9a2x1", 42).with("p8x1c0d2", 7));
        assertThat(p.format()).isEqualTo("k3f9a2x1-16.p8x1c0d2-7");
        assertThat(Position.parse("k3f9a2x1:42.p8x1c0d2-7")).as("entries of both forms").isEqualTo(p);
    }

    @Test
    void carriesAHorizonAsItsLastEntry() {
        Position p = Position.of("a", 5).withHorizon(1_790_000_000L);
        assertThat(p.format()).isEqualTo("a-5.~" + Long.toString(1_790_000_000L, 36));
        assertThat(Position.parse(p.format())).isEqualTo(p);
        assertThat(Position.parse("~tm0hs0").horizon()).isEqualTo(Long.parseLong("tm0hs0", 36));
        assertThat(p.withHorizon(5)).as("never lowered").isSameAs(p);
        assertThat(Position.of("a", 5).dominates(p)).isFalse();
        assertThat(p.dominates(Position.of("a", 5))).isTrue();
        assertThat(p.aheadOf(Position.of("a", 9)).format()).isEqualTo("~" + Long.toString(1_790_000_000L, 36));
        assertThat(Position.of("a", 9).merge(p).format()).isEqualTo("a-9.~" + Long.toString(1_790_000_000L, 36));
        assertThat(p.without("a").format()).isEqualTo("~" + Long.toString(1_790_000_000L, 36));
    }

    @Test
    void coversEventsUpToTheSeenSequenceOfTheirOrigin() {
        Position p = Position.of("a", 5);
        assertThat(p.covers("a", 5)).isTrue();
        assertThat(p.covers("a", 6)).isFalse();
        assertThat(p.covers("b", 1)).isFalse();
    }

    @Test
    void neverMovesAnOriginBackwards() {
        Position p = Position.of("a", 5);
        assertThat(p.with("a", 3)).isSameAs(p);
        assertThat(p.with("a", 9).seqOf("a")).isEqualTo(9);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "abc            | entry 'abc' has no '-' between origin and sequence number",
            "a-             | sequence number '' must be 1-13 characters from 0-9 a-z",
            "a-1X           | sequence number '1X' must be 1-13 characters from 0-9 a-z",
            "a-zzzzzzzzzzzzz | sequence number 'zzzzzzzzzzzzz' is too large",
            "a-1.a:1        | origin 'a' appears twice",
            "~5.a-1         | the horizon '~5' must be the last entry",
            "a-1.~          | sequence number '' must be 1-13 characters from 0-9 a-z",
            "ABC:1          | origin 'ABC' must be 1-16 characters from a-z 0-9",
            ":1             | origin '' must be 1-16 characters from a-z 0-9",
            "a:             | sequence number '' must be 1-19 decimal digits",
            "a:-1           | sequence number '-1' must be 1-19 decimal digits",
            "a:1x           | sequence number '1x' must be 1-19 decimal digits",
            "a:99999999999999999999 | sequence number '99999999999999999999' must be 1-19 decimal digits",
            "a:9999999999999999999 | sequence number '9999999999999999999' is too large",
            "a:1.a:2        | origin 'a' appears twice",
            "a:1.           | entry '' has no '-' between origin and sequence number",
            "abcdefghijklmnopq:1 | origin 'abcdefghijklmnopq' must be 1-16 characters from a-z 0-9",
    })
    void rejectsMalformedIdsSayingWhy(String text, String why) {
        assertThatThrownBy(() -> Position.parse(text))
                .isInstanceOf(InvalidPositionException.class)
                .hasMessage("event id '" + text + "' is invalid: " + why);
    }

    @Test
    void rejectsControlCharactersShowingThemEscaped() {
        assertThatThrownBy(() -> Position.parse("a:1\r\nX"))
                .hasMessage("event id 'a:1\\u000d\\u000aX' is invalid: sequence number '1\\u000d\\u000aX' must be"
                        + " 1-19 decimal digits");
    }

    @Test
    void rejectsAnEmptyOrOverlongId() {
        assertThatThrownBy(() -> Position.parse("")).hasMessage("event id is empty");
        assertThatThrownBy(() -> Position.parse("a:1.".repeat(3000)))
                .hasMessageStartingWith("event id is 12000 characters long; the limit is");
    }
}
