package io.sserelay.relay;

import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.StreamHub;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A cluster that lives for weeks while one relay restarts again and again, compressed into a
 * minute or two by a short history: each restart is a new origin, and the ids must not grow
 * with them, while a subscriber hopping between the long-lived relay and each new one still
 * gets every event exactly once.
 */
class OriginChurnSoakTest {

    private static final int RESTARTS = 300;

    @Test
    void idsStayBoundedAndResumeStaysExactAcrossThreeHundredRestarts() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_HISTORY_MAX_AGE", "2s"))) {
            List<String> published = new ArrayList<>();
            List<String> received = new ArrayList<>();
            String lastId = null;
            int longestId = 0;
            int mostOrigins = 0;
            for (int round = 0; round < RESTARTS; round++) {
                // One event from the relay that is about to stop, seen live on it.
                TestRelay churning = cluster.relay(1);
                lastId = readAll(churning, lastId, () -> publish(churning, published), published, received);
                cluster.stop(1);
                cluster.restart(1, Map.of());
                // One event on the long-lived relay while the subscriber is away, then a resume on
                // the new relay or the long-lived one, alternately.
                publish(cluster.relay(0), published);
                TestRelay resumeOn = cluster.relay(round % 2);
                lastId = readAll(resumeOn, lastId, () -> { }, published, received);
                Position position = Position.parse(lastId);
                longestId = Math.max(longestId, lastId.length());
                mostOrigins = Math.max(mostOrigins, position.size());
            }
            System.out.printf("OriginChurnSoakTest: %d restarts, longest id %d characters, at most %d origins,"
                    + " %.0f origins retired on the long-lived relay, last id %s%n", RESTARTS, longestId, mostOrigins,
                    cluster.relay(0).metric("sserelay_origins_retired_total"), lastId);
            assertThat(received).as("every event exactly once, in order").isEqualTo(published);
            // The two running relays and the stopped ones not yet silent for the history's max
            // age: a handful, never one per restart.
            assertThat(mostOrigins).isLessThanOrEqualTo(2 + StreamHub.MAX_STOPPED_ORIGINS);
            assertThat(longestId).isLessThan(40 * 20);
            assertThat(cluster.relay(0).metric("sserelay_origins_retired_total")).isGreaterThan(RESTARTS / 2.0);
            assertThat(cluster.relay(0).metric("sserelay_id_origins")).isLessThan(RESTARTS / 10.0);
        }
    }

    private static void publish(TestRelay relay, List<String> published) {
        String data = "e" + published.size();
        relay.publish("churn", data);
        published.add(data);
    }

    /**
     * Resumes on {@code relay} from {@code lastId}, runs {@code then} once the subscription is
     * open, and reads until it has every published event; returns the id to resume from next.
     * A reset fails the test: within the history's age nothing was evicted.
     */
    private static String readAll(TestRelay relay, String lastId, Runnable then, List<String> published,
            List<String> received) {
        Map<String, String> headers = new HashMap<>();
        if (lastId != null) {
            headers.put("Last-Event-ID", lastId);
        }
        try (SseClient client = relay.subscribe("/streams/churn", headers)) {
            await().until(() -> !client.frames().isEmpty()); // the relay's retry: it is subscribed
            then.run();
            int missing = published.size() - received.size();
            client.awaitEvents(missing);
            client.closeAndWait();
            for (SseFrame frame : client.events()) {
                assertThat(frame.type()).as("no reset: nothing was evicted").isEqualTo("message");
                received.add(frame.data());
            }
            return client.lastEventId();
        }
    }
}
