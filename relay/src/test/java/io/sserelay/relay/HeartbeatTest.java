package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class HeartbeatTest {

    @Test
    void sendsCommentsWhileIdle() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_HEARTBEAT", "200ms"));
             SseClient client = relay.subscribe("/streams/quiet")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats(client) >= 3);
            assertThat(client.eventCount()).isZero();
        }
    }

    /**
     * Events go out every 20 ms, ten times faster than the heartbeat interval, for 60 events;
     * a heartbeat would mean the relay counted a busy connection as idle.
     */
    @Test
    void sendsNoCommentsWhileEventsFlow() {
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_HEARTBEAT", "200ms"));
             SseClient client = relay.subscribe("/streams/busy")) {
            await().until(() -> client.lastEventId() != null);
            AtomicInteger sent = new AtomicInteger();
            publisher.scheduleAtFixedRate(() -> {
                if (sent.get() < 60) {
                    relay.publish("busy", "e" + sent.incrementAndGet());
                }
            }, 0, 20, TimeUnit.MILLISECONDS);
            client.awaitEvents(60);
            assertThat(heartbeats(client)).isZero();
        } finally {
            publisher.shutdownNow();
        }
    }

    private static long heartbeats(SseClient client) {
        return client.frames().stream().filter(f -> !f.isEvent()).mapToLong(f -> f.comments().size()).sum();
    }
}
