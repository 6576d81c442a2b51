package io.sserelay.relay.sse;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A drain that runs out of its time slice leaves the rest of the marked connections to a
 * continuation. With a slice of zero every drain of more than a few connections is cut, so
 * that the continuation, and the hand-over of the "drain scheduled" flag to it, carry most
 * of the deliveries.
 */
class SlicedDrainTest {

    private static final int SUBSCRIBERS = 150;
    private static long defaultSlice;

    @BeforeAll
    static void cutEveryDrain() {
        defaultSlice = IoThreadWriter.drainSliceNanos;
        IoThreadWriter.drainSliceNanos = 0;
    }

    @AfterAll
    static void restoreTheSlice() {
        IoThreadWriter.drainSliceNanos = defaultSlice;
    }

    @Test
    void aDrainCutIntoSlicesStillDeliversEveryEventToEverySubscriberInOrder() {
        List<SseClient> clients = new ArrayList<>();
        try (TestRelay relay = TestRelay.start()) {
            for (int i = 0; i < SUBSCRIBERS; i++) {
                clients.add(relay.subscribe("/streams/sliced"));
            }
            await().until(() -> clients.stream().allMatch(c -> c.lastEventId() != null));
            List<String> published = IntStream.rangeClosed(1, 20).mapToObj(i -> "event " + i).toList();
            published.forEach(data -> relay.publish("sliced", data));
            for (SseClient client : clients) {
                assertThat(client.awaitEvents(published.size()).data()).isEqualTo(published);
            }
        } finally {
            clients.forEach(SseClient::close);
        }
    }
}
