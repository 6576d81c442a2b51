package io.sserelay.e2e;

import io.sserelay.testplane.ServiceEndpoint;
import io.sserelay.testplane.ServiceProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Applications that know only the Service: subscribers (reconnecting as an EventSource does)
 * and a publisher reach the relays through the Service {@code news} (its {@link ServiceProxy})
 * while the relays change under them: the relay pod a subscriber is on is deleted; then, day 2
 * under load, the SseRelay is scaled from 3 to 5 relays and rolled (every pod replaced). New
 * relays take traffic only once the cluster follows them, and old ones leave the Service before
 * they drain, so no publish is refused or left unanswered and every subscriber has every event
 * once. How late events arrived and how long publishes waited are printed (figures, not
 * assertions: docs/clustering.md#measured-scaling-and-rolling-under-load quotes them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThroughTheServiceTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofMinutes(3);
    private static final int SUBSCRIBERS = 9;

    private static LocalCluster cluster;
    private static ServiceProxy news;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.fromImages(REPO, "service", Path.of("target", "relay-logs", "service"));
        news = cluster.applyNewsSample(ROLLOUT);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aSubscriberWhoseRelayPodIsDeletedReconnectsThroughTheServiceToAnotherAndResumesWithoutGapOrDuplicate()
            throws Exception {
        try (EventSourceClient subscriber = EventSourceClient.open(news.address(), "/streams/ticker");
                ServicePublisher publisher = new ServicePublisher(news.address(), "ticker", cluster.publishToken("news"),
                        Duration.ofMillis(20))) {
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

    @Test
    @Order(2)
    void scalingUpAndRollingEveryRelayUnderLoadRefusesNoPublishAndLosesNoEvent() throws Exception {
        List<EventSourceClient> subscribers = new ArrayList<>();
        try {
            for (int i = 0; i < SUBSCRIBERS; i++) {
                subscribers.add(EventSourceClient.open(news.address(), "/streams/prices"));
            }
            for (EventSourceClient subscriber : subscribers) {
                await().atMost(ROLLOUT).until(() -> subscriber.latestConnection().flatMap(news::endpointOf).isPresent());
            }
            Set<String> before = podNames();
            try (ServicePublisher publisher = new ServicePublisher(news.address(), "prices", cluster.publishToken("news"),
                    Duration.ofMillis(25))) {
                await().atMost(ROLLOUT).until(() -> publisher.acknowledged().size() >= 40);

                cluster.kubectl("scale", "sserelay", "news", "--replicas=5");
                cluster.awaitRelays("news", 5, ROLLOUT);
                await().atMost(ROLLOUT).until(() -> news.readyEndpoints().size() == 5);

                cluster.kubectl("rollout", "restart", "deployment/news");
                await("every relay replaced").atMost(ROLLOUT).until(() -> {
                    Set<String> now = podNames();
                    return now.size() == 5 && now.stream().noneMatch(before::contains)
                            && news.readyEndpoints().size() == 5;
                });
                cluster.awaitRelays("news", 5, ROLLOUT);
                int published = publisher.acknowledged().size();
                await().atMost(ROLLOUT).until(() -> publisher.acknowledged().size() >= published + 40);
                publisher.close();

                assertThat(publisher.refused()).as("publishes answered other than 202, after their retries").isEmpty();
                assertThat(publisher.unanswered()).as("publishes left without an answer").isEmpty();
                List<String> acknowledged = publisher.acknowledged();
                for (EventSourceClient subscriber : subscribers) {
                    await("every acknowledged event at each subscriber").atMost(ROLLOUT)
                            .until(() -> subscriber.data().containsAll(acknowledged));
                    assertThat(subscriber.failure()).isNull();
                    // One publisher, one request at a time: the stream's one order is its order,
                    // on every relay, whichever relays the publishes and the subscriber went through.
                    assertThat(subscriber.data()).doesNotHaveDuplicates().containsExactlyElementsOf(acknowledged);
                }
                System.out.printf("ThroughTheServiceTest: %d publishes, %d retried after a 503 (%d events)%n",
                        acknowledged.size(), publisher.retried().size(), new TreeSet<>(publisher.retried()).size());
                report(publisher, subscribers);
            }
        } finally {
            subscribers.forEach(EventSourceClient::close);
        }
    }

    private static Set<String> podNames() {
        return new TreeSet<>(cluster.relays().relays().keySet());
    }

    /**
     * How late events reached subscribers, and how long publishes waited for their answer. An
     * event is live when the subscriber's connection that received it was open before it was
     * published; the others came in the catch-up of a reconnect, after the EventSource's retry.
     */
    private static void report(ServicePublisher publisher, List<EventSourceClient> subscribers) {
        List<Long> live = new ArrayList<>();
        List<Long> caughtUp = new ArrayList<>();
        for (EventSourceClient subscriber : subscribers) {
            List<Long> connected = subscriber.connectedAtNanos();
            for (EventSourceClient.Event event : subscriber.events()) {
                Long sent = publisher.sentAtNanos(event.data());
                if (sent == null) {
                    continue;
                }
                long openedBefore = connected.stream().filter(at -> at <= event.receivedAtNanos())
                        .max(Long::compare).orElse(Long.MIN_VALUE);
                (openedBefore <= sent ? live : caughtUp).add(event.receivedAtNanos() - sent);
            }
        }
        System.out.printf("day 2 under load: %d events to %d subscribers; live deliveries (%d) %s;"
                + " caught up after a reconnect (%d) %s; publish answered %s%n", publisher.acknowledged().size(),
                subscribers.size(), live.size(), spread(live), caughtUp.size(), spread(caughtUp),
                spread(publisher.answerNanos()));
    }

    private static String spread(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "none";
        }
        List<Long> sorted = nanos.stream().sorted().toList();
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", millis(sorted, 0.50), millis(sorted, 0.99),
                millis(sorted, 1.0));
    }

    private static double millis(List<Long> sorted, double quantile) {
        int index = (int) Math.min(sorted.size() - 1, Math.ceil(quantile * sorted.size()) - 1);
        return TimeUnit.NANOSECONDS.toMicros(sorted.get(Math.max(0, index))) / 1000.0;
    }

    private static ServiceEndpoint awaitEndpoint(EventSourceClient subscriber) {
        return await().until(() -> subscriber.latestConnection().flatMap(news::endpointOf), Optional::isPresent)
                .orElseThrow();
    }
}
