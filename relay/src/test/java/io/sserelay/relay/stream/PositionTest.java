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
        assertThat(p.format()).isEqualTo("aa:7.mm:1.zz:3");
        assertThat(Position.parse("zz:3.aa:7.mm:1")).isEqualTo(p);
    }

    @Test
    void roundTripsThroughTheWireForm() {
        Position p = Position.parse("k3f9a2x1:42.p8x1c0d2:7");
        assertThat(p.seqOf("k3f9a2x1")).isEqualTo(42);
        assertThat(p.seqOf("p8x1c0d2")).isEqualTo(7);
        assertThat(p.seqOf("unknown")).isZero();
        assertThat(p.format()).isEqualTo("k3f9a2x1:42.p8x1c0d2:7");
        assertThat(Position.parse(p.format())).isEqualTo(p);
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
            "abc            | entry 'abc' has no ':' between origin and sequence number",
            "ABC:1          | origin 'ABC' must be 1-16 characters from a-z 0-9",
            ":1             | origin '' must be 1-16 characters from a-z 0-9",
            "a:             | sequence number '' must be 1-19 decimal digits",
            "a:-1           | sequence number '-1' must be 1-19 decimal digits",
            "a:1x           | sequence number '1x' must be 1-19 decimal digits",
            "a:99999999999999999999 | sequence number '99999999999999999999' must be 1-19 decimal digits",
            "a:9999999999999999999 | sequence number '9999999999999999999' is too large",
            "a:1.a:2        | origin 'a' appears twice",
            "a:1.           | entry '' has no ':' between origin and sequence number",
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
