package io.sserelay.relay;

import io.sserelay.relay.cluster.Placement;
import io.sserelay.relay.cluster.View;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A 202 means a second relay holds the event: a publish that no replica confirms is answered 503
 * and delivered nowhere, and an acknowledged event survives the relay that numbered it.
 */
class ReplicatedPublishTest {

    @Test
    void aPublishNoReplicaConfirmsIsAnswered503AndNobodyEverSeesItThenItsRetryPublishesOnce() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "500ms"))) {
            TestRelay owner = cluster.relay(0);
            String stream = streamOwnedBy(cluster, 0);
            SseClient subscriber = owner.subscribe("/streams/" + stream);
            await().until(() -> subscriber.lastEventId() != null);

            cluster.relay(1).close(); // the replica is gone, and the view does not say so yet
            HttpResponse<String> refused = publish(owner, stream, "lost?", "key-1");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.body()).isEqualTo(BadInputTest.error("replication_unconfirmed", "no second relay"
                    + " confirmed holding the event within 500 ms, so nothing was published; retry (with the same"
                    + " Idempotency-Key) here or on another replica"));
            assertThat(owner.metric("sserelay_publish_unconfirmed_total")).isEqualTo(1);

            cluster.stop(1); // the operator takes it out of the view: the owner goes on alone
            await().until(() -> owner.relay().cluster().status().view().members().size() == 1);
            owner.publish(stream, "marker");
            subscriber.awaitEvents(1);
            assertThat(subscriber.data()).as("the refused event reaches nobody").containsExactly("marker");

            HttpResponse<String> retry = publish(owner, stream, "lost?", "key-1");
            assertThat(retry.statusCode()).as("the key is free again after a 503").isEqualTo(202);
            HttpResponse<String> again = publish(owner, stream, "lost?", "key-1");
            assertThat(again.statusCode()).isEqualTo(202);
            assertThat(again.body()).isEqualTo(retry.body());
            assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            owner.publish(stream, "end");
            subscriber.awaitEvents(3);
            assertThat(subscriber.data()).containsExactly("marker", "lost?", "end");
            assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
            subscriber.close();
            assertThat(owner.metric("sserelay_publish_idempotent_replays_total")).isEqualTo(1);
        }
    }

    @Test
    void aPublishWaitingForItsReplicaIsAnsweredWhenTheRelayStops() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "1m"))) {
            TestRelay owner = cluster.relay(0);
            String stream = streamOwnedBy(cluster, 0);
            cluster.relay(1).close();
            CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                    () -> publish(owner, stream, "never confirmed", null));
            await().until(() -> owner.metric("sserelay_publish_pending_bytes") > 0);
            owner.close();
            HttpResponse<String> answer = waiting.join();
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).startsWith("{\"error\":\"publish_unanswered\",");
        }
    }

    @Test
    void localAcknowledgementsAnswerWithoutWaitingForTheReplica() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK", "local",
                "RELAY_PUBLISH_ACK_TIMEOUT", "1m"))) {
            TestRelay owner = cluster.relay(0);
            String stream = streamOwnedBy(cluster, 0);
            cluster.relay(1).close();
            HttpResponse<String> answer = publish(owner, stream, "at once", null);
            assertThat(answer.statusCode()).isEqualTo(202);
            assertThat(owner.metric("sserelay_publish_replicated_total")).isZero();
        }
    }

    @Test
    void aRelayOnItsOwnAnswersAtOnce() {
        try (TestRelay relay = TestRelay.start()) {
            assertThat(publish(relay, "s", "alone", null).statusCode()).isEqualTo(202);
            assertThat(relay.metric("sserelay_publish_replicated_total")).isZero();
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(1);
        }
    }

    @Test
    void everyAcknowledgedEventOutlivesTheRelayThatNumberedIt() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            String stream = streamOwnedBy(cluster, 0);
            List<String> sent = IntStream.range(0, 30).mapToObj(n -> "e" + n).toList();
            for (String data : sent) {
                assertThat(publish(cluster.relay(n(data) % 3), stream, data, null).statusCode()).isEqualTo(202);
            }
            cluster.stop(0); // the owner goes; its replica holds every acknowledged event
            for (int i = 1; i < 3; i++) {
                try (SseClient reader = cluster.relay(i).subscribe("/streams/" + stream, Map.of("Last-Event-ID", "0"))) {
                    reader.awaitEvents(30);
                    assertThat(reader.data()).containsExactlyElementsOf(sent);
                    assertThat(reader.frames()).noneMatch(f -> "reset".equals(f.event()));
                }
            }
        }
    }

    private static int n(String data) {
        return Integer.parseInt(data.substring(1));
    }

    /** A stream that relay {@code i} of the cluster owns in its view (its replica is another relay). */
    private static String streamOwnedBy(TestCluster cluster, int i) {
        View view = cluster.relay(i).relay().cluster().status().view();
        String self = cluster.relay(i).relay().self();
        for (int n = 0; ; n++) {
            if (Placement.owner(view, "s" + n).equals(self)) {
                return "s" + n;
            }
        }
    }

    static HttpResponse<String> publish(TestRelay relay, String stream, String data, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(relay.url("/streams/" + stream)))
                .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(data));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return TestRelay.send(request.build());
    }
}
