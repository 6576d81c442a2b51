package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Disconnecting and resuming by id: exactly the missed events, or an explicit reset. */
class ResumeTest {

    @Test
    void resumesWithTheLastEventIdHeaderWithoutGapOrDuplicate() {
        try (TestRelay relay = TestRelay.start()) {
            String lastSeen;
            try (SseClient first = relay.subscribe("/streams/s")) {
                awaitConnections(relay, 1);
                publishRange(relay, 0, 5);
                first.awaitEvents(5);
                lastSeen = first.lastEventId();
            }
            awaitConnections(relay, 0);
            publishRange(relay, 5, 10);
            try (SseClient second = relay.subscribe("/streams/s", Map.of("Last-Event-ID", lastSeen))) {
                second.awaitEvents(5);
                publishRange(relay, 10, 12);
                second.awaitEvents(7);
                assertThat(second.data()).containsExactlyElementsOf(range(5, 12));
                assertThat(second.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void resumesFromTheLastEventIdQueryParameterAndPrefersTheHeader() {
        try (TestRelay relay = TestRelay.start()) {
            List<String> ids = publishRange(relay, 0, 6);
            String query = "/streams/s?lastEventId=" + URLEncoder.encode(ids.get(1), StandardCharsets.UTF_8);
            try (SseClient byQuery = relay.subscribe(query)) {
                byQuery.awaitEvents(4);
                assertThat(byQuery.data()).containsExactlyElementsOf(range(2, 6));
            }
            try (SseClient both = relay.subscribe(query, Map.of("Last-Event-ID", ids.get(3)))) {
                both.awaitEvents(2);
                assertThat(both.data()).containsExactlyElementsOf(range(4, 6));
            }
        }
    }

    @Test
    void aNewSubscriberIsGivenItsPositionSoItsFirstReconnectMissesNothing() {
        try (TestRelay relay = TestRelay.start()) {
            publishRange(relay, 0, 3);
            String position;
            try (SseClient quiet = relay.subscribe("/streams/s")) {
                await().until(() -> quiet.lastEventId() != null);
                position = quiet.lastEventId();
                assertThat(quiet.eventCount()).isZero();
            }
            publishRange(relay, 3, 5);
            try (SseClient back = relay.subscribe("/streams/s", Map.of("Last-Event-ID", position))) {
                back.awaitEvents(2);
                assertThat(back.data()).containsExactlyElementsOf(range(3, 5));
            }
        }
    }

    @Test
    void aNewSubscriberOfAStreamWithoutEventsIsGivenItsStartSoItsReconnectGetsEverything() {
        try (TestRelay relay = TestRelay.start()) {
            String position;
            try (SseClient quiet = relay.subscribe("/streams/s")) {
                await().until(() -> quiet.lastEventId() != null);
                position = quiet.lastEventId();
            }
            assertThat(position).isEqualTo("0");
            publishRange(relay, 0, 3);
            try (SseClient back = relay.subscribe("/streams/s", Map.of("Last-Event-ID", position))) {
                back.awaitEvents(3);
                assertThat(back.data()).containsExactlyElementsOf(range(0, 3));
                assertThat(back.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void eventsOfOtherStreamsDoNotMoveAStreamsIds() {
        try (TestRelay relay = TestRelay.start()) {
            List<String> ids = publishRange(relay, 0, 2);
            relay.publish("other", "x");
            try (SseClient client = relay.subscribe("/streams/s", Map.of("Last-Event-ID", ids.get(0)))) {
                client.awaitEvents(1);
                assertThat(client.data()).containsExactly("1");
                assertThat(client.lastEventId()).isEqualTo(ids.get(1));
            }
        }
    }

    @Test
    void saysResetWhenTheIdIsOlderThanTheRetainedHistory() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_HISTORY_MAX_EVENTS", "3"))) {
            List<String> ids = publishRange(relay, 0, 8);
            try (SseClient client = relay.subscribe("/streams/s", Map.of("Last-Event-ID", ids.get(1)))) {
                client.awaitEvents(4);
                List<SseFrame> events = client.events();
                assertThat(events.get(0).event()).isEqualTo("reset");
                assertThat(events.get(0).id()).as("where the retained events start, should it drop before them")
                        .isEqualTo(ids.get(4));
                assertThat(events.get(0).data()).isEqualTo("{\"streams\":[\"s\"],\"reason\":\"history\",\"message\":"
                        + "\"events after the last event id are no longer retained; some were missed\"}");
                assertThat(events.subList(1, 4)).extracting(SseFrame::data).containsExactlyElementsOf(range(5, 8));
                assertThat(relay.metric("sserelay_history_resets_total")).isEqualTo(1);
            }
            try (SseClient fromTheReset = relay.subscribe("/streams/s", Map.of("Last-Event-ID", ids.get(4)))) {
                fromTheReset.awaitEvents(3);
                assertThat(fromTheReset.data()).as("no second reset").containsExactlyElementsOf(range(5, 8));
            }
        }
    }

    @Test
    void anIdThatCannotBeResumedFromGetsTheLiveStreamAndAResetThatMovesTheClientOn() {
        try (TestRelay relay = TestRelay.start()) {
            String current = relay.publish("s", "before");
            Map<String, String> unusable = new LinkedHashMap<>();
            unusable.put("nope", "{\"streams\":[\"s\"],\"reason\":\"invalid_last_event_id\",\"message\":\"event id"
                    + " 'nope' is not one this relay gives out for this stream; continuing from the current position\"}");
            unusable.put("k3f9a2x1-16.p8x1c0d2-7", null); // an id of the relay's earlier versions
            unusable.put("42", null); // what another SSE server would have given
            unusable.put("6f1c2d8e-3b4a-4c5d-9e6f-7a8b9c0d1e2f", null);
            unusable.put("a:1\u0000\"\n", null);
            unusable.put("x".repeat(10_000), null);
            unusable.put("other~" + current, null); // another stream's place
            for (Map.Entry<String, String> id : unusable.entrySet()) {
                String query = "?lastEventId=" + URLEncoder.encode(id.getKey(), StandardCharsets.UTF_8);
                try (SseClient client = relay.subscribe("/streams/s" + query)) {
                    assertThat(client.status()).as(id.getKey()).isEqualTo(200);
                    client.awaitEvents(1);
                    SseFrame reset = client.events().get(0);
                    assertThat(reset.event()).isEqualTo("reset");
                    if (id.getValue() != null) {
                        assertThat(reset.data()).isEqualTo(id.getValue());
                    }
                    assertThat(reset.data()).startsWith("{\"streams\":[\"s\"],\"reason\":\"invalid_last_event_id\"")
                            .hasSizeLessThan(400);
                    String at = current;
                    await().alias("the client continues from the current position")
                            .until(() -> at.equals(client.lastEventId()));
                    String live = relay.publish("s", "live " + id.getKey().length());
                    client.awaitEvents(2);
                    assertThat(client.events().get(1).id()).isEqualTo(live);
                    current = live;
                }
            }
            // Closed by the client: the relay notices on its IO thread, a moment later.
            await().until(() -> relay.metric("sserelay_connections") == 0);
        }
    }

    @Test
    void aRelayRestartedEmptyTellsAResumingClientItMayHaveMissedEventsOnceAndThenGivesItTheNewOnes() {
        Map<String, String> env = Map.of("RELAY_BIND_ADDRESS", "127.0.0.31", "RELAY_HTTP_PORT", "0");
        String earlier;
        try (TestRelay relay = TestRelay.start(env)) {
            publishRange(relay, 0, 3);
            earlier = relay.publish("s", "last of the first run");
        }
        try (TestRelay relay = TestRelay.start(env)) {
            String missed = relay.publish("s", "after the restart");
            try (SseClient first = relay.subscribe("/streams/s", Map.of("Last-Event-ID", earlier))) {
                first.awaitEvents(2);
                SseFrame reset = first.events().get(0);
                assertThat(reset.event()).isEqualTo("reset");
                assertThat(reset.data()).contains("\"reason\":\"history\"");
                assertThat(first.events().get(1).data()).isEqualTo("after the restart");
                assertThat(first.events().get(1).id()).isEqualTo(missed);
                // Reconnecting from where the reset put it is not reset again.
                try (SseClient again = relay.subscribe("/streams/s", Map.of("Last-Event-ID", reset.id()))) {
                    again.awaitEvents(1);
                    assertThat(again.events()).extracting(SseFrame::event).containsOnlyNulls();
                    assertThat(again.events().get(0).id()).isEqualTo(missed);
                }
            }
        }
    }

    private static List<String> publishRange(TestRelay relay, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> relay.publish("s", Integer.toString(i))).toList();
    }

    private static List<String> range(int from, int to) {
        return IntStream.range(from, to).mapToObj(Integer::toString).toList();
    }

    private static void awaitConnections(TestRelay relay, int count) {
        await().until(() -> relay.metric("sserelay_connections") == count);
    }
}
