package io.sserelay.relay;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sserelay.api.PeerStatus;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SseRelayStatus;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerView;
import io.sserelay.relay.peer.SseRelayStatusPeerSource;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import io.sserelay.testplane.MinimalPlane;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Relays that find their peers in their SseRelay's status, on a real API server, with only
 * the rights the operator gives relay pods: get and watch on that one SseRelay.
 */
class SseRelayStatusPeersTest {

    private static final String NAMESPACE = "relays";
    private static final int PEER_PORT = 17070;
    private static long generation;

    @Test
    void relaysFollowTheirSseRelaysStatusKeepTheirPeersWhileTheApiServerIsAwayAndFollowItWhenItIsBack() {
        MinimalPlane plane = MinimalPlane.start();
        List<TestRelay> relays = new ArrayList<>();
        try {
            KubernetesClient admin = plane.client();
            setUp(plane, admin);
            KubernetesClient asRelay = asServiceAccount(admin);
            assertThatThrownBy(() -> asRelay.pods().inNamespace(NAMESPACE).list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));

            TestRelay a = start(asRelay, "127.0.0.11");
            TestRelay b = start(asRelay, "127.0.0.12");
            relays.add(a);
            relays.add(b);
            assertThat(a.get("/readyz", Map.of()).statusCode()).as("no view in the status yet").isEqualTo(503);

            setPeers(admin, "127.0.0.11", "127.0.0.12");
            await().until(() -> a.get("/readyz", Map.of()).statusCode() == 200 && b.get("/readyz", Map.of()).statusCode() == 200);
            try (SseClient onB = b.subscribe("/streams/news")) {
                await().until(() -> onB.lastEventId() != null);
                a.publish("news", "through the status");
                onB.awaitEvents(1);

                // Relay b leaves the status: a goes on alone, and b, which reads that it is on its
                // way out, sends its subscribers to reconnect elsewhere.
                setPeers(admin, "127.0.0.11");
                await().until(() -> membersSeenBy(a) == 1);
                onB.awaitEnded();
            }
            setPeers(admin, "127.0.0.11", "127.0.0.12");
            await().until(() -> membersSeenBy(a) == 2 && membersSeenBy(b) == 2
                    && b.get("/readyz", Map.of()).statusCode() == 200);
            try (SseClient onB = b.subscribe("/streams/news")) {
                await().until(() -> onB.lastEventId() != null);
                plane.stopApiServer(); // the relays keep their view while it is away
                a.publish("news", "without the API server");
                onB.awaitEvents(1);
                assertThat(onB.data()).containsExactly("without the API server");
                assertThat(b.get("/readyz", Map.of()).statusCode()).isEqualTo(200);

                plane.startApiServer(); // and follow the status again once it is back
                setPeers(admin, "127.0.0.11");
                await().atMost(java.time.Duration.ofSeconds(30)).until(() -> membersSeenBy(a) == 1);
            }
        } finally {
            relays.forEach(TestRelay::close);
            plane.close();
        }
    }

    @Test
    void theViewIsTheStatusPeersGenerationAndLeavingPeersAsTheOperatorWritesThem() {
        MinimalPlane plane = MinimalPlane.start();
        try {
            KubernetesClient admin = plane.client();
            setUp(plane, admin);
            BlockingQueue<PeerView> views = new LinkedBlockingQueue<>();
            try (SseRelayStatusPeerSource source = new SseRelayStatusPeerSource(asServiceAccount(admin), NAMESPACE,
                    "news", PEER_PORT)) {
                source.start(views::add);
                // Before the operator's first status: generation 0, nobody.
                assertThat(next(views)).isEqualTo(new PeerView(0, Set.of(), Set.of()));
                assertThat(source.ready()).isTrue();

                setStatus(admin, 4L, List.of("127.0.0.11", "127.0.0.12"), List.of("127.0.0.13"));
                assertThat(next(views)).isEqualTo(new PeerView(4, Set.of(peer("127.0.0.11"), peer("127.0.0.12")),
                        Set.of(peer("127.0.0.13"))));

                // A status that changes nothing of the view (readiness only) is not a new view.
                setStatus(admin, 4L, List.of("127.0.0.11", "127.0.0.12"), List.of("127.0.0.13"));
                setStatus(admin, 5L, List.of("127.0.0.12"), List.of());
                assertThat(next(views)).isEqualTo(new PeerView(5, Set.of(peer("127.0.0.12")), Set.of()));
                assertThat(views).isEmpty();
            }
        } finally {
            plane.close();
        }
    }

    private static PeerView next(BlockingQueue<PeerView> views) {
        try {
            PeerView view = views.poll(30, TimeUnit.SECONDS);
            assertThat(view).as("a view within 30 s").isNotNull();
            return view;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static PeerAddress peer(String ip) {
        return new PeerAddress(ip, PEER_PORT);
    }

    private static void setStatus(KubernetesClient admin, Long generation, List<String> ips, List<String> leavingIps) {
        SseRelay relay = admin.resources(SseRelay.class).inNamespace(NAMESPACE).withName("news").get();
        SseRelayStatus status = new SseRelayStatus();
        List<PeerStatus> peers = new ArrayList<>();
        for (int i = 0; i < ips.size(); i++) {
            peers.add(new PeerStatus("news-" + i, ips.get(i), true));
        }
        List<PeerStatus> leaving = new ArrayList<>();
        for (int i = 0; i < leavingIps.size(); i++) {
            leaving.add(new PeerStatus("news-old-" + i, leavingIps.get(i), false));
        }
        status.setPeers(peers);
        status.setPeerCount(peers.size());
        status.setLeavingPeers(leaving);
        status.setPeersGeneration(generation);
        relay.setStatus(status);
        admin.resource(relay).updateStatus();
    }

    private static TestRelay start(KubernetesClient client, String address) {
        Map<String, String> env = new HashMap<>();
        env.put("RELAY_BIND_ADDRESS", address);
        env.put("RELAY_HTTP_PORT", "0");
        env.put("RELAY_ADMIN_PORT", "0");
        env.put("RELAY_PEER_PORT", Integer.toString(PEER_PORT));
        env.put("RELAY_PEER_TOKEN", TestCluster.PEER_TOKEN);
        env.put("RELAY_PUBLISH_TOKEN", TestRelay.TOKEN);
        env.put("RELAY_HEARTBEAT", "1s");
        env.put("RELAY_DRAIN_TIMEOUT", "1s");
        return TestRelay.wrap(new Relay(RelayConfig.fromEnvironment(env),
                new SseRelayStatusPeerSource(client, NAMESPACE, "news", PEER_PORT)).start());
    }

    private static int membersSeenBy(TestRelay relay) {
        var view = relay.relay().cluster().status().view();
        return view == null ? 0 : view.members().size();
    }

    /** What the operator writes: the relay pods' addresses, sorted by name, as the next generation. */
    private static void setPeers(KubernetesClient admin, String... ips) {
        SseRelay relay = admin.resources(SseRelay.class).inNamespace(NAMESPACE).withName("news").get();
        SseRelayStatus status = new SseRelayStatus();
        List<PeerStatus> peers = new ArrayList<>();
        for (int i = 0; i < ips.length; i++) {
            peers.add(new PeerStatus("news-" + i, ips[i], true));
        }
        status.setPeers(peers);
        status.setPeerCount(peers.size());
        status.setPeersGeneration(++generation);
        relay.setStatus(status);
        admin.resource(relay).updateStatus();
    }

    /** The CRD, the SseRelay, and the relay pods' identity as the operator creates it. */
    private static void setUp(MinimalPlane plane, KubernetesClient admin) {
        plane.installCrd(Path.of("..", "crds", "sserelays.sserelay.io-v1.yml"));
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .create();
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName("news");
        relay.getMetadata().setNamespace(NAMESPACE);
        relay.setSpec(new SseRelaySpec());
        admin.resource(relay).create();
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName("news-relay").withNamespace(NAMESPACE)
                .endMetadata().build()).create();
        admin.resource(new RoleBuilder().withNewMetadata().withName("news-relay").withNamespace(NAMESPACE).endMetadata()
                .addNewRule().withApiGroups("sserelay.io").withResources("sserelays").withResourceNames("news")
                .withVerbs("get", "watch").endRule().build()).create();
        admin.resource(new RoleBindingBuilder().withNewMetadata().withName("news-relay").withNamespace(NAMESPACE)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "news-relay")
                .addNewSubject().withKind("ServiceAccount").withName("news-relay").withNamespace(NAMESPACE).endSubject()
                .build()).create();
    }

    private static KubernetesClient asServiceAccount(KubernetesClient admin) {
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
                .withImpersonateUsername("system:serviceaccount:" + NAMESPACE + ":news-relay")
                .withImpersonateGroups("system:serviceaccounts", "system:authenticated")
                .build()).build();
    }
}
