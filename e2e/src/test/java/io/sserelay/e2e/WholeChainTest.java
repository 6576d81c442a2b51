package io.sserelay.e2e;

import io.sserelay.testplane.ServiceEndpoint;
import io.sserelay.testplane.ServiceProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Quantity;
import org.assertj.core.data.Percentage;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole chain on a real control plane (etcd, kube-apiserver, controller manager,
 * scheduler, kwok nodes): kubectl applies an SseRelay, the operator makes a Deployment, its
 * pods run on simulated nodes, the operator writes their addresses into the status, and real
 * relays bound to those addresses find each other there. Only the kubelet is simulated.
 * Clients publish and subscribe through the Service {@code news} (its {@link ServiceProxy}).
 */
class WholeChainTest {

    private static final String NAMESPACE = "e2e";
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofSeconds(90);

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static LocalCluster cluster;
    private static ServiceProxy news;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.fromImages(REPO, NAMESPACE, Path.of("target", "relay-logs", NAMESPACE));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * The relays run with the operator's default resources, and each JVM sized itself from its
     * container's memory limit: the queues' budget is a tenth of a heap that is half the limit.
     * Their metrics answer on the admin port and not through the Service.
     */
    private static void sizedFromTheirLimitWithMetricsOffTheService() throws Exception {
        var pods = cluster.plane().client().pods().inNamespace(NAMESPACE).withLabel("sserelay.io/relay", "news").list()
                .getItems();
        assertThat(pods).allSatisfy(pod -> assertThat(pod.getSpec().getContainers().get(0).getResources().getLimits())
                .containsEntry("memory", new Quantity("320Mi")).containsEntry("cpu", new Quantity("2")));
        for (RelayPodRunner.RunningRelay relay : cluster.relays().relays().values()) {
            HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(relay.adminUrl() + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(RelayHttp.sample(metrics.body(), "sserelay_subscriber_queues_budget_bytes"))
                    .as("a tenth of half of 320 MiB").isCloseTo(0.1 * 160 * 1024 * 1024, Percentage.withPercentage(2));
        }
        HttpResponse<String> throughService = HTTP.send(HttpRequest.newBuilder(URI.create("http://"
                + news.address().getHostString() + ":" + news.address().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(throughService.statusCode()).isEqualTo(404);
        assertThat(throughService.body()).contains("admin port").doesNotContain("sserelay_");
    }

    /**
     * The scheduler placed the relay pods by the operator's default spread: on each node, and in
     * each zone, at most one pod more than on another.
     */
    private static void spreadOverNodesAndZones(int replicas) {
        var client = cluster.plane().client();
        var pods = client.pods().inNamespace(NAMESPACE).withLabel("sserelay.io/relay", "news").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
        assertThat(pods).hasSize(replicas);
        for (String key : new String[] {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}) {
            var perDomain = pods.stream().collect(Collectors.groupingBy(
                    p -> client.nodes().withName(p.getSpec().getNodeName()).get().getMetadata().getLabels().get(key),
                    Collectors.counting()));
            assertThat(perDomain).as("relay pods per " + key).hasSize(cluster.plane().nodeNames().size());
            assertThat(perDomain.values().stream().mapToLong(Long::longValue).max().getAsLong()
                    - perDomain.values().stream().mapToLong(Long::longValue).min().getAsLong())
                    .as("relay pods per " + key + ": " + perDomain).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void anSseRelayAppliedWithKubectlBecomesRelaysThatFindEachOtherAndFollowScaling() throws Exception {
        assertThat(cluster.kubectl("apply", "-f", "config/samples/news.yaml")).contains("sserelay.sserelay.io/news created");
        awaitRelays(3);
        assertThat(cluster.kubectl("get", "sserelays", "--no-headers").trim().split("\\s+"))
                .startsWith("news", "3", "3", "3");
        deliveredEverywhere("three relays");
        sizedFromTheirLimitWithMetricsOffTheService();
        aSubscriberOfAKilledRelayResumesThroughTheServiceOnAnotherWithoutLoss();
        awaitRelays(3);

        cluster.kubectl("scale", "sserelay", "news", "--replicas=5");
        awaitRelays(5);
        spreadOverNodesAndZones(5);
        assertThat(cluster.kubectl("get", "sserelays", "--no-headers").trim().split("\\s+"))
                .startsWith("news", "5", "5", "5");
        deliveredEverywhere("five relays");

        cluster.kubectl("scale", "sserelay", "news", "--replicas=2");
        awaitRelays(2);
        deliveredEverywhere("two relays");
        assertThat(cluster.kubectl("get", "sserelays", "--no-headers").trim().split("\\s+"))
                .startsWith("news", "2", "2", "2");

        // The API server goes away for a while: the relays keep delivering; once it is back
        // they follow the status again.
        String token = cluster.publishToken("news");
        cluster.plane().stopApiServer();
        deliveredEverywhere("without the API server", token);
        cluster.plane().startApiServer();
        cluster.kubectl("scale", "sserelay", "news", "--replicas=3");
        awaitRelays(3);
        deliveredEverywhere("after the API server came back");

        cluster.kubectl("delete", "sserelay", "news");
        await().atMost(ROLLOUT).until(() -> cluster.relays().relays().isEmpty()
                && cluster.plane().client().apps().deployments().inNamespace(NAMESPACE).withName("news").get() == null
                && cluster.plane().client().secrets().inNamespace(NAMESPACE).withName("news-peer-token").get() == null);
        await().atMost(ROLLOUT).until(() -> news.readyEndpoints().isEmpty());
    }

    /**
     * A relay process is killed (SIGKILL, as a crash) while a subscriber is on it through the
     * Service; what is published meanwhile reaches the subscriber when it has reconnected,
     * through the Service, to another relay with its last id. The pod is deleted, the Deployment
     * replaces it, and the event published meanwhile (retried with its key until the cluster's
     * view no longer has the dead relay) reaches the subscriber once.
     */
    private static void aSubscriberOfAKilledRelayResumesThroughTheServiceOnAnotherWithoutLoss() throws Exception {
        String token = cluster.publishToken("news");
        try (EventSourceClient subscriber = EventSourceClient.open(news.address(), "/streams/news")) {
            String victim = awaitEndpoint(subscriber).pod();
            assertThat(RelayHttp.publishOnNewConnection(news.address(), "news", token, "before the kill")).isEqualTo(202);
            await().until(() -> subscriber.data().contains("before the kill"));

            cluster.relays().kill(victim);
            await("the killed relay's pod not ready").atMost(ROLLOUT).until(() ->
                    news.readyEndpoints().stream().noneMatch(e -> e.pod().equals(victim)));
            // The crashed relay's container is terminated, so the operator takes it out of the view and
            // its streams go to their replicas; until then a stream it owned or replicated refuses
            // publishes (docs/clustering.md). Its pod is deleted and replaced.
            cluster.kubectl("delete", "pod", victim);
            // As the docs ask of publishers: a 503 is retried with the same Idempotency-Key.
            await("the publish while away answered 202").atMost(ROLLOUT).pollInterval(java.time.Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> RelayHttp.publishOnNewConnection(news.address(), "news", token, "while away",
                            "while-away") == 202);

            await().atMost(ROLLOUT).until(() -> subscriber.data().contains("while away"));
            assertThat(subscriber.data()).containsExactly("before the kill", "while away");
            assertThat(awaitEndpoint(subscriber).pod()).isNotEqualTo(victim);
        }
    }

    /** Waits until the Service reaches exactly {@code replicas} relays, ready and each following all the others. */
    private static void awaitRelays(int replicas) {
        cluster.awaitRelays("news", replicas, ROLLOUT);
        if (news == null) {
            news = cluster.proxyService("news");
        }
        await("the Service's ready endpoints").atMost(ROLLOUT).until(() ->
                endpointPods().equals(cluster.relays().relays().keySet()));
    }

    /** A subscriber on every relay, each reached through the Service, receives an event published once through it. */
    private static void deliveredEverywhere(String text) throws Exception {
        deliveredEverywhere(text, cluster.publishToken("news"));
    }

    private static void deliveredEverywhere(String text, String token) throws Exception {
        DeliveryThroughTheService.check(news, cluster.relays().relays().keySet(), "news", token, text, ROLLOUT);
    }

    /** Where the subscriber's latest connection went through the Service, once the proxy has forwarded it. */
    private static ServiceEndpoint awaitEndpoint(EventSourceClient subscriber) {
        return await().until(() -> subscriber.latestConnection().flatMap(news::endpointOf), Optional::isPresent)
                .orElseThrow();
    }

    private static Set<String> endpointPods() {
        return news.readyEndpoints().stream().map(ServiceEndpoint::pod).collect(Collectors.toSet());
    }
}
