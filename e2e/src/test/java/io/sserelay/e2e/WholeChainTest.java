package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.FullPlane;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole chain on a real control plane (etcd, kube-apiserver, controller manager,
 * scheduler, kwok nodes): kubectl applies an SseRelay, the operator makes a Deployment, its
 * pods run on simulated nodes, the operator writes their addresses into the status, and real
 * relays bound to those addresses find each other there. Only the kubelet is simulated.
 */
class WholeChainTest {

    private static final String NAMESPACE = "e2e";
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofSeconds(90);

    private static FullPlane plane;
    private static Operator operator;
    private static RelayPodRunner kubelet;

    @BeforeAll
    static void start() throws IOException {
        plane = FullPlane.start();
        KubernetesClient admin = plane.client();
        plane.installCrd(REPO.resolve("crds/sserelays.sserelay.io-v1.yml"));
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .create();
        operator = new Operator(o -> o.withKubernetesClient(admin).withCloseClientOnStop(false)
                .withDependentResourceFactory(new RelayDependentFactory("sserelay/relay:e2e")));
        operator.register(new SseRelayReconciler(), o -> o.settingNamespaces(NAMESPACE));
        operator.start();
        kubelet = new RelayPodRunner(plane, NAMESPACE);
    }

    @AfterAll
    static void stop() {
        if (kubelet != null) {
            kubelet.close();
        }
        if (operator != null) {
            operator.stop();
        }
        if (plane != null) {
            plane.close();
        }
    }

    @Test
    void anSseRelayAppliedWithKubectlBecomesRelaysThatFindEachOtherAndFollowScaling() throws Exception {
        assertThat(kubectl("apply", "-f", "config/samples/news.yaml")).contains("sserelay.sserelay.io/news created");
        awaitMesh(3);
        assertThat(kubectl("get", "sserelays", "--no-headers").trim().split("\\s+")).startsWith("news", "3", "3", "3");
        deliveredEverywhere("three relays");
        aSubscriberOfAKilledRelayResumesOnAnotherWithoutLoss();
        awaitMesh(3);

        kubectl("scale", "sserelay", "news", "--replicas=5");
        awaitMesh(5);
        assertThat(kubectl("get", "sserelays", "--no-headers").trim().split("\\s+")).startsWith("news", "5", "5", "5");
        deliveredEverywhere("five relays");

        kubectl("scale", "sserelay", "news", "--replicas=2");
        awaitMesh(2);
        deliveredEverywhere("two relays");
        assertThat(kubectl("get", "sserelays", "--no-headers").trim().split("\\s+")).startsWith("news", "2", "2", "2");

        // The API server goes away for a while: the relays keep delivering; once it is back
        // they follow the status again.
        String token = publishToken();
        plane.stopApiServer();
        deliveredEverywhere("without the API server", token);
        plane.startApiServer();
        kubectl("scale", "sserelay", "news", "--replicas=3");
        awaitMesh(3);
        deliveredEverywhere("after the API server came back");

        kubectl("delete", "sserelay", "news");
        await().atMost(ROLLOUT).until(() -> kubelet.relays().isEmpty()
                && plane.client().apps().deployments().inNamespace(NAMESPACE).withName("news").get() == null
                && plane.client().secrets().inNamespace(NAMESPACE).withName("news-peer-token").get() == null);
    }

    /**
     * A relay process is killed (SIGKILL, as a crash) while a subscriber is on it; what is
     * published meanwhile reaches the subscriber when it resumes, with its last id, on another
     * relay. Then the pod is deleted and the Deployment replaces it.
     */
    private static void aSubscriberOfAKilledRelayResumesOnAnotherWithoutLoss() throws Exception {
        var pods = new ArrayList<>(kubelet.relays().entrySet());
        String victimPod = pods.get(0).getKey();
        String victim = pods.get(0).getValue().url();
        String survivor = pods.get(1).getValue().url();
        List<String> before = RelayHttp.subscribe(victim, "news", null);
        await().until(() -> before.stream().anyMatch(l -> l.startsWith("id: ")));
        assertThat(RelayHttp.publish(survivor, "news", publishToken(), "before the kill")).isEqualTo(202);
        await().until(() -> before.contains("data: before the kill"));
        String lastId = RelayHttp.lastId(before);

        kubelet.kill(victimPod);
        assertThat(RelayHttp.publish(survivor, "news", publishToken(), "while away")).isEqualTo(202);
        List<String> after = RelayHttp.subscribe(survivor, "news", lastId);
        await().until(() -> after.contains("data: while away"));
        assertThat(after).doesNotContain("data: before the kill");

        kubectl("delete", "pod", victimPod);
    }

    /** Waits until exactly {@code replicas} relays run and each follows all the others. */
    private static void awaitMesh(int replicas) {
        await().atMost(ROLLOUT).until(() -> {
            SseRelay relay = plane.client().resources(SseRelay.class).inNamespace(NAMESPACE).withName("news").get();
            return relay.getStatus() != null && Integer.valueOf(replicas).equals(relay.getStatus().getPeerCount())
                    && kubelet.meshed(replicas);
        });
    }

    /** An event published to one relay reaches a subscriber on every relay. */
    private static void deliveredEverywhere(String text) throws Exception {
        deliveredEverywhere(text, publishToken());
    }

    private static void deliveredEverywhere(String text, String token) throws Exception {
        List<String> urls = kubelet.relays().values().stream().map(RelayPodRunner.RunningRelay::url).toList();
        List<List<String>> received = new ArrayList<>();
        for (String url : urls) {
            received.add(RelayHttp.subscribe(url, "news", null));
        }
        received.forEach(lines -> await().until(() -> lines.stream().anyMatch(l -> l.startsWith("id: "))));
        assertThat(RelayHttp.publish(urls.get(0), "news", token, text)).isEqualTo(202);
        for (List<String> lines : received) {
            await().until(() -> lines.contains("data: " + text));
        }
    }

    private static String publishToken() {
        Secret secret = plane.client().secrets().inNamespace(NAMESPACE).withName("news-publish-token").get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    private static String kubectl(String... args) {
        List<String> all = new ArrayList<>(List.of("-n", NAMESPACE));
        all.addAll(List.of(args));
        return plane.kubectl(REPO, all.toArray(String[]::new));
    }
}
