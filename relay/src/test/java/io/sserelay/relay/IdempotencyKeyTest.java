package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A publish retried with its Idempotency-Key is published once and answered as the first time. */
class IdempotencyKeyTest {

    @Test
    void aRetryOfTheSameRequestGetsTheSameIdsAndPublishesNothing() {
        try (TestRelay relay = TestRelay.start(); SseClient subscriber = relay.subscribe("/streams/s")) {
            await().until(() -> subscriber.lastEventId() != null);
            HttpResponse<String> first = relay.post("/publish", "application/json",
                    "[{\"stream\":\"s\",\"data\":\"a\"},{\"stream\":\"s\",\"data\":\"b\"}]", Map.of("Idempotency-Key", "batch-1"));
            HttpResponse<String> retry = relay.post("/publish", "application/json",
                    "[ {\"stream\": \"s\", \"data\": \"a\"}, {\"stream\": \"s\", \"data\": \"b\"} ]",
                    Map.of("Idempotency-Key", "batch-1"));
            assertThat(first.statusCode()).isEqualTo(202);
            assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(retry.statusCode()).isEqualTo(202);
            assertThat(retry.body()).as("the same events, however the JSON is spaced").isEqualTo(first.body());
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            relay.publish("s", "after");
            subscriber.awaitEvents(3);
            assertThat(subscriber.data()).containsExactly("a", "b", "after");
            assertThat(relay.metric("sserelay_publish_idempotent_replays_total")).isEqualTo(1);
        }
    }

    @Test
    void theSameKeyForAnotherRequestIsRefusedAndChangesNothing() {
        try (TestRelay relay = TestRelay.start()) {
            assertThat(ReplicatedPublishTest.publish(relay, "s", "a", "k").statusCode()).isEqualTo(202);
            for (HttpResponse<String> other : java.util.List.of(
                    ReplicatedPublishTest.publish(relay, "s", "b", "k"),
                    relay.post("/streams/s?event=typed", "text/plain", "a", Map.of("Idempotency-Key", "k")),
                    relay.post("/publish", "application/json", "[{\"stream\":\"s\",\"data\":\"a\"}]",
                            Map.of("Idempotency-Key", "k")))) {
                assertThat(other.statusCode()).isEqualTo(422);
                assertThat(other.body()).isEqualTo(BadInputTest.error("idempotency_key_reused", "Idempotency-Key 'k'"
                        + " was used for a different request (other stream, type or data) whose events are still"
                        + " retained; send a new key for a new request"));
            }
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(1);
            // A key is kept with its stream's events: on another stream it is another publish.
            assertThat(ReplicatedPublishTest.publish(relay, "t", "a", "k").statusCode()).isEqualTo(202);
        }
    }

    @Test
    void anInvalidKeyIsRefusedBeforeTheBodyIsRead() {
        try (TestRelay relay = TestRelay.start()) {
            HttpResponse<String> tooLong = ReplicatedPublishTest.publish(relay, "s", "a", "k".repeat(256));
            assertThat(tooLong.statusCode()).isEqualTo(400);
            assertThat(tooLong.body()).isEqualTo(BadInputTest.error("invalid_idempotency_key",
                    "the Idempotency-Key is 256 characters long; use 1 to 255"));
            HttpResponse<String> twice = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.url("/streams/s")))
                    .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                    .header("Idempotency-Key", "a").header("Idempotency-Key", "b")
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build());
            assertThat(twice.statusCode()).isEqualTo(400);
            assertThat(twice.body()).contains("send one Idempotency-Key header, not 2");
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    /** The key travels with the events, so the peer that holds them recognises a retry sent to it. */
    @Test
    void aRetrySentToAPeerIsRecognisedThere() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            SseClient onPeer = cluster.relay(1).subscribe("/streams/s");
            await().until(() -> onPeer.lastEventId() != null);
            HttpResponse<String> first = ReplicatedPublishTest.publish(cluster.relay(0), "s", "once", "order-7");
            assertThat(first.statusCode()).isEqualTo(202);
            onPeer.awaitEvents(1);
            HttpResponse<String> retry = ReplicatedPublishTest.publish(cluster.relay(1), "s", "once", "order-7");
            assertThat(retry.statusCode()).isEqualTo(202);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retry.body()).as("the id the event has on the peer").isEqualTo(
                    "{\"stream\":\"s\",\"id\":\"" + onPeer.lastEventId() + "\"}");
            assertThat(ReplicatedPublishTest.publish(cluster.relay(1), "s", "other", "order-7").statusCode())
                    .isEqualTo(422);
            cluster.relay(1).publish("s", "after");
            onPeer.awaitEvents(2);
            assertThat(onPeer.data()).containsExactly("once", "after");
            onPeer.close();
        }
    }
}
