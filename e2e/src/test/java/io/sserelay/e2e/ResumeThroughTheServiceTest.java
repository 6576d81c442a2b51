package io.sserelay.e2e;

import io.sserelay.testplane.ServiceEndpoint;
import io.sserelay.testplane.ServiceProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Applications that know only the Service: a subscriber (reconnecting as an EventSource does)
 * and a publisher reach the relays through the Service {@code news} (its {@link ServiceProxy}),
 * and the relay pod the subscriber is on is deleted while events keep being published.
 */
class ResumeThroughTheServiceTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofSeconds(90);

    private static LocalCluster cluster;
    private static ServiceProxy news;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.fromImages(REPO, "resume", Path.of("target", "relay-logs", "resume"));
        cluster.kubectl("apply", "-f", "config/samples/news.yaml");
        cluster.awaitRelays("news", 3, ROLLOUT);
        news = cluster.proxyService("news");
        await().atMost(ROLLOUT).until(() -> news.readyEndpoints().size() == 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aSubscriberWhoseRelayPodIsDeletedReconnectsThroughTheServiceToAnotherAndResumesWithoutGapOrDuplicate()
            throws Exception {
        try (EventSourceClient subscriber = EventSourceClient.open(news.address(), "/streams/ticker");
                Publisher publisher = new Publisher(news.address(), "ticker", cluster.publishToken("news"))) {
            String deleted = awaitEndpoint(subscriber).pod();
            await().atMost(ROLLOUT).until(() -> subscriber.data().size() >= 20);

            // A graceful delete: the relay gets SIGTERM, reports not ready, sends its subscribers
            // what they have not had yet and a retry, and ends their streams.
            cluster.kubectl("delete", "pod", deleted);

            ServiceEndpoint resumedOn = await("the subscriber back through the Service on another relay").atMost(ROLLOUT)
                    .until(() -> subscriber.latestConnection().flatMap(news::endpointOf),
                            endpoint -> endpoint.isPresent() && !endpoint.get().pod().equals(deleted))
                    .orElseThrow();
            int received = subscriber.data().size();
            await().atMost(ROLLOUT).until(() -> subscriber.data().size() >= received + 20);
            publisher.close();
            List<String> acknowledged = publisher.acknowledged();
            await("every acknowledged event at the subscriber").atMost(ROLLOUT)
                    .until(() -> subscriber.data().containsAll(acknowledged));

            assertThat(resumedOn.pod()).isNotEqualTo(deleted);
            assertThat(subscriber.failure()).isNull();
            assertThat(subscriber.events()).extracting(EventSourceClient.Event::type).containsOnly("message");
            assertThat(subscriber.data()).doesNotHaveDuplicates()
                    .containsAll(acknowledged)
                    .isSubsetOf(publisher.acknowledgedOrUnanswered());
        }
    }

    private static ServiceEndpoint awaitEndpoint(EventSourceClient subscriber) {
        return await().until(() -> subscriber.latestConnection().flatMap(news::endpointOf), Optional::isPresent)
                .orElseThrow();
    }

    /**
     * Publishes numbered events through the Service every 20 ms, each on a connection of its
     * own (so they land on every relay in turn), and records how each was answered: 202
     * (acknowledged: must reach the subscriber), another status (refused: delivered nowhere), or
     * no answer (the connection broke: either). Threads: one scheduler thread publishes.
     */
    private static final class Publisher implements AutoCloseable {

        private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        private final List<String> acknowledged = new CopyOnWriteArrayList<>();
        private final List<String> refused = new CopyOnWriteArrayList<>();
        private final List<String> unanswered = new CopyOnWriteArrayList<>();
        private final InetSocketAddress service;
        private final String stream;
        private final String token;
        private int next;

        Publisher(InetSocketAddress service, String stream, String token) {
            this.service = service;
            this.stream = stream;
            this.token = token;
            scheduler.scheduleWithFixedDelay(this::publishNext, 0, 20, TimeUnit.MILLISECONDS);
        }

        private void publishNext() {
            String data = "event " + ++next;
            try {
                int status = RelayHttp.publishOnNewConnection(service, stream, token, data);
                (status == 202 ? acknowledged : refused).add(data);
            } catch (IOException e) {
                unanswered.add(data);
            }
        }

        List<String> acknowledged() {
            return List.copyOf(acknowledged);
        }

        List<String> refused() {
            return List.copyOf(refused);
        }

        List<String> acknowledgedOrUnanswered() {
            List<String> all = new ArrayList<>(acknowledged);
            all.addAll(unanswered);
            return all;
        }

        /** Stops publishing and waits for the publish under way. */
        @Override
        public void close() throws InterruptedException {
            scheduler.shutdown();
            if (!scheduler.awaitTermination(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("a publish did not end within a minute");
            }
        }
    }
}
