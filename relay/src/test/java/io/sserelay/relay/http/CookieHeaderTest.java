package io.sserelay.relay.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Finding the relay's cookie among whatever else a browser sends for the site. */
class CookieHeaderTest {

    @Test
    void theFirstPairOfTheNameWinsAndEverythingUnreadableIsSkipped() {
        assertThat(CookieHeader.first(List.of("a=1; sse=first; sse=second"), "sse")).isEqualTo("first");
        assertThat(CookieHeader.first(List.of("theme=dark", "sse=from-the-second-header"), "sse"))
                .isEqualTo("from-the-second-header");
        assertThat(CookieHeader.first(List.of("name=Jos\u00e9; broken; =; \u00ff=\"; sse=\"quoted\""), "sse"))
                .isEqualTo("quoted");
        assertThat(CookieHeader.first(List.of("  sse  =  spaced  "), "sse")).isEqualTo("spaced");
        assertThat(CookieHeader.first(List.of("sse_token=x; SSE=y; xsse=z"), "sse")).as("names are exact").isNull();
        assertThat(CookieHeader.first(List.of("sse"), "sse")).as("a name without a value is no pair").isNull();
        assertThat(CookieHeader.first(List.of("sse="), "sse")).isEmpty();
        assertThat(CookieHeader.first(null, "sse")).isNull();
    }

    @Test
    void aHeadOfEmptyPairsIsReadInOnePass() {
        // Each pair is searched within its own bounds: 64 KiB of ';' is one pass over the header.
        String header = ";".repeat(64 * 1024) + " sse=at-the-end";
        assertThat(CookieHeader.first(List.of(header), "sse")).isEqualTo("at-the-end");
        assertThat(CookieHeader.first(List.of("a;".repeat(32 * 1024) + "b=1"), "sse")).isNull();
    }
}
