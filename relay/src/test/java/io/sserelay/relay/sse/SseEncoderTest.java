package io.sserelay.relay.sse;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SseEncoderTest {

    @Test
    void writesIdTypeAndDataThenABlankLine() {
        assertThat(text(SseEncoder.event("abc:1", "tick", utf8("hello"))))
                .isEqualTo("id: abc:1\nevent: tick\ndata: hello\n\n");
    }

    @Test
    void omitsTheEventLineWhenThereIsNoType() {
        assertThat(text(SseEncoder.event("abc:1", null, utf8("hello")))).isEqualTo("id: abc:1\ndata: hello\n\n");
    }

    @Test
    void splitsDataOnLfCrAndCrlfAlike() {
        assertThat(text(SseEncoder.event(null, null, utf8("a\nb\rc\r\nd"))))
                .isEqualTo("data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    @Test
    void keepsEmptyLinesAndATrailingLineBreak() {
        assertThat(text(SseEncoder.event(null, null, utf8("a\n\nb\n"))))
                .isEqualTo("data: a\ndata: \ndata: b\ndata: \n\n");
    }

    @Test
    void treatsCrLfSplitAcrossNothingAsOneBreakAndLoneCrAtTheEndAsABreak() {
        assertThat(text(SseEncoder.event(null, null, utf8("a\r")))).isEqualTo("data: a\ndata: \n\n");
        assertThat(text(SseEncoder.event(null, null, utf8("\r\n")))).isEqualTo("data: \ndata: \n\n");
    }

    @Test
    void passesMultiByteUtf8ThroughUnchanged() {
        assertThat(text(SseEncoder.event(null, "übung", utf8("grüße 👋\nzweite"))))
                .isEqualTo("event: übung\ndata: grüße 👋\ndata: zweite\n\n");
    }

    @Test
    void keepsALeadingSpaceOfTheDataBecauseParsersDropOnlyOne() {
        assertThat(text(SseEncoder.event(null, null, utf8(" x")))).isEqualTo("data:  x\n\n");
    }

    @Test
    void framesAreReadOnlyAndStartAtZeroSoTheyCanBeShared() {
        ByteBuffer frame = SseEncoder.event("a:1", null, utf8("x"));
        assertThat(frame.isReadOnly()).isTrue();
        assertThat(frame.position()).isZero();
        assertThat(frame.remaining()).isEqualTo(frame.limit());
    }

    @Test
    void encodesControlFrames() {
        assertThat(text(SseEncoder.retry(2000))).isEqualTo("retry: 2000\n\n");
        assertThat(text(SseEncoder.id("a:5"))).isEqualTo("id: a:5\n\n");
        assertThat(text(SseEncoder.comment(""))).isEqualTo(":\n\n");
        assertThat(text(SseEncoder.comment("bye"))).isEqualTo(": bye\n\n");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer frame) {
        ByteBuffer copy = frame.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
