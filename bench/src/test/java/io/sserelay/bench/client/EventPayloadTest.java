package io.sserelay.bench.client;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventPayloadTest {

    @Test
    void aPayloadCarriesItsSequenceNumberAndIntendedTime() {
        byte[] payload = EventPayload.encode(42, 123_456_789L, 100);
        assertThat(payload).hasSize(100);
        assertThat(EventPayload.seq(payload, payload.length)).isEqualTo(42);
        assertThat(EventPayload.intendedNanos(payload, payload.length)).isEqualTo(123_456_789L);
        byte[] other = "hello world".getBytes(StandardCharsets.US_ASCII);
        assertThat(EventPayload.seq(other, other.length)).isEqualTo(-1);
        assertThatThrownBy(() -> EventPayload.encode(1, Long.MAX_VALUE, 10))
                .hasMessageContaining("cannot hold");
    }
}
