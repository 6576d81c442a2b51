package io.sserelay.operator;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.sserelay.api.AutoscalingSpec;
import io.sserelay.api.CorsSpec;
import io.sserelay.api.JwtSpec;
import io.sserelay.api.PodOverrides;
import io.sserelay.api.MetricsSpec;
import io.sserelay.api.PeerStatus;
import io.sserelay.api.PublishAckSpec;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SubscribeAuthSpec;
import io.sserelay.operator.dependent.DeploymentDependent;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.status.StatusAggregator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The operator against a real kube-apiserver, running with the operator's own RBAC. Pods are
 * created by the tests (there is no scheduler or kubelet on this plane), with the labels the
 * Deployment gives them and the addresses and readiness a kubelet would report.
 */
class SseRelayOperatorTest {

    private static final String IMAGE = "sserelay/relay:test";

    @RegisterExtension
    static final LocallyRunOperatorExtension operator = OperatorTestPlane.operatorExtension(IMAGE);

    /** Without this, the other tests would prove nothing about the ClusterRole. */
    @Test
    void theOperatorRunsWithOnlyItsOwnRights() {
        var asOperator = OperatorTestPlane.operatorClient();
        assertThatThrownBy(() -> asOperator.namespaces().list())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        assertThatThrownBy(() -> asOperator.apiextensions().v1().customResourceDefinitions().list())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        assertThat(asOperator.resources(SseRelay.class).inAnyNamespace().list().getItems()).isNotNull();
    }

    @Test
    void createsEveryOwnedObjectWithTheRightSpecAndOwnerReference() {
        SseRelay relay = operator.create(relay("news", 3));
        Deployment deployment = awaitOwned(Deployment.class, "news", relay);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("news-relay");
        assertThat(pod.getEnableServiceLinks()).isFalse();
        var container = pod.getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(IMAGE);
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(container.getStartupProbe().getHttpGet().getPath()).as("a pod is a peer once it has started")
                .isEqualTo("/healthz");
        assertThat(container.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5);
        assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("320Mi"))
                .containsEntry("cpu", new Quantity("2"));
        assertThat(container.getResources().getRequests()).containsEntry("memory", new Quantity("320Mi"))
                .containsEntry("cpu", new Quantity("500m"));
        assertThat(env(container.getEnv(), "JDK_JAVA_OPTIONS").getValue()).isEqualTo("-XX:ActiveProcessorCount=2");
        assertThat(pod.getTopologySpreadConstraints()).extracting(c -> c.getTopologyKey() + "/" + c.getMaxSkew()
                + "/" + c.getWhenUnsatisfiable() + "/" + c.getLabelSelector().getMatchLabels() + "/" + c.getMatchLabelKeys())
                .containsExactly("kubernetes.io/hostname/1/ScheduleAnyway/{sserelay.io/relay=news}/[pod-template-hash]",
                        "topology.kubernetes.io/zone/1/ScheduleAnyway/{sserelay.io/relay=news}/[pod-template-hash]");
        assertThat(env(container.getEnv(), "RELAY_ADVERTISE_ADDRESS").getValue()).isEqualTo("$(POD_IP)");
        assertThat(env(container.getEnv(), "POD_IP").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        assertThat(env(container.getEnv(), "RELAY_PEER_TOKEN").getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("news-peer-token");
        assertThat(env(container.getEnv(), "RELAY_PUBLISH_TOKEN").getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("news-publish-token");

        Service service = awaitOwned(Service.class, "news", relay);
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(80);
        assertThat(service.getSpec().getSelector()).isEqualTo(Map.of(RelayNames.RELAY_LABEL, "news"));
        for (String name : List.of("news-peer-token", "news-publish-token")) {
            Secret secret = awaitOwned(Secret.class, name, relay);
            assertThat(decode(secret, "token")).hasSize(43);
        }
        awaitOwned(ServiceAccount.class, "news-relay", relay);
        Role role = awaitOwned(Role.class, "news-relay", relay);
        assertThat(role.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getResources()).containsExactly("sserelays");
            assertThat(rule.getResourceNames()).containsExactly("news");
            assertThat(rule.getVerbs()).containsExactly("get", "watch");
        });
        assertThat(awaitOwned(RoleBinding.class, "news-relay", relay).getSubjects().get(0).getName()).isEqualTo("news-relay");
        assertThat(awaitOwned(PodDisruptionBudget.class, "news", relay).getSpec().getMaxUnavailable().getIntVal())
                .isEqualTo(1);
        NetworkPolicy policy = awaitOwned(NetworkPolicy.class, "news-relay", relay);
        assertThat(policy.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal()).isEqualTo(7070);
        assertThat(policy.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels())
                .isEqualTo(Map.of(RelayNames.RELAY_LABEL, "news"));
    }

    @Test
    void theMetricsPortIsOffTheServiceAndOpenOnlyToWherePrometheusRuns() {
        SseRelay relay = operator.create(relay("scraped", 2));
        var container = awaitOwned(Deployment.class, "scraped", relay).getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertThat(container.getPorts()).extracting(p -> p.getName() + "=" + p.getContainerPort())
                .containsExactly("http=8080", "peer=7070", "admin=9090");
        assertThat(env(container.getEnv(), "RELAY_ADMIN_PORT").getValue()).isEqualTo("9090");
        assertThat(awaitOwned(Service.class, "scraped", relay).getSpec().getPorts())
                .extracting(p -> p.getName() + "->" + p.getTargetPort().getStrVal()).containsExactly("http->http");
        // By default: the pods of the namespace "monitoring".
        NetworkPolicy policy = awaitOwned(NetworkPolicy.class, "scraped-relay", relay);
        assertThat(admitted(policy, 9090)).singleElement().satisfies(peer -> assertThat(
                peer.getNamespaceSelector().getMatchLabels()).isEqualTo(Map.of("kubernetes.io/metadata.name", "monitoring")));
        assertThat(admitted(policy, 8080)).isEmpty(); // a rule with no peers: open to all

        SseRelay current = operator.get(SseRelay.class, "scraped");
        current.getSpec().setMetrics(new MetricsSpec());
        current.getSpec().getMetrics().setAllowedFrom(List.of(new NetworkPolicyPeerBuilder().withNewPodSelector()
                .addToMatchLabels("app.kubernetes.io/name", "prometheus").endPodSelector().build()));
        operator.replace(current);
        await().untilAsserted(() -> assertThat(admitted(operator.get(NetworkPolicy.class, "scraped-relay"), 9090))
                .singleElement().satisfies(peer -> assertThat(peer.getPodSelector().getMatchLabels())
                        .isEqualTo(Map.of("app.kubernetes.io/name", "prometheus"))));

        // An empty list admits nobody: no rule for the port at all, since a rule without peers admits everyone.
        current = operator.get(SseRelay.class, "scraped");
        current.getSpec().getMetrics().setAllowedFrom(List.of());
        operator.replace(current);
        await().untilAsserted(() -> assertThat(operator.get(NetworkPolicy.class, "scraped-relay").getSpec()
                .getIngress()).noneMatch(rule -> rule.getPorts().get(0).getPort().getIntVal() == 9090));
    }

    /** The peers admitted to {@code port}, which has exactly one rule. */
    private static List<NetworkPolicyPeer> admitted(NetworkPolicy policy, int port) {
        List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress().stream()
                .filter(rule -> rule.getPorts().get(0).getPort().getIntVal() == port).toList();
        assertThat(rules).as("rules for port " + port).hasSize(1);
        return rules.get(0).getFrom();
    }

    @Test
    void specChangesFlowToTheDeploymentAndHandEditsAreUndone() {
        SseRelay relay = operator.create(relay("edits", 2));
        awaitOwned(Deployment.class, "edits", relay);
        relay.getSpec().setHeartbeat("5s");
        operator.replace(relay);
        await().until(() -> "5s".equals(env(deployment("edits").getSpec().getTemplate().getSpec().getContainers().get(0)
                .getEnv(), "RELAY_HEARTBEAT") == null ? null : env(deployment("edits").getSpec().getTemplate().getSpec()
                .getContainers().get(0).getEnv(), "RELAY_HEARTBEAT").getValue()));

        // Resources and spread given in the spec replace the defaults.
        SseRelay sized = operator.get(SseRelay.class, "edits");
        sized.getSpec().setResources(new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("3"))
                .addToLimits("memory", new Quantity("1Gi")).build());
        sized.getSpec().setPod(new PodOverrides());
        sized.getSpec().getPod().setTopologySpreadConstraints(List.of());
        operator.replace(sized);
        await().untilAsserted(() -> {
            var pod = deployment("edits").getSpec().getTemplate().getSpec();
            assertThat(pod.getTopologySpreadConstraints()).isEmpty();
            assertThat(pod.getContainers().get(0).getResources().getRequests())
                    .containsEntry("memory", new Quantity("1Gi")).containsEntry("cpu", new Quantity("3"));
            assertThat(pod.getContainers().get(0).getResources().getLimits()).doesNotContainKey("cpu");
            assertThat(env(pod.getContainers().get(0).getEnv(), "JDK_JAVA_OPTIONS").getValue())
                    .isEqualTo("-XX:ActiveProcessorCount=3");
        });

        Deployment edited = deployment("edits");
        edited.getSpec().setReplicas(7);
        OperatorTestPlane.adminClient().resource(edited).update();
        await().until(() -> deployment("edits").getSpec().getReplicas() == 2);

        OperatorTestPlane.adminClient().services().inNamespace(operator.getNamespace()).withName("edits").delete();
        await().until(() -> operator.get(Service.class, "edits") != null);

        // A generated token Secret deleted by hand comes back with a new token, and the pods roll onto it.
        await().ignoreExceptions().until(() -> podTemplateHash("edits").equals(secretsHash(relay)));
        String token = decode(operator.get(Secret.class, "edits-publish-token"), "token");
        OperatorTestPlane.adminClient().secrets().inNamespace(operator.getNamespace()).withName("edits-publish-token")
                .delete();
        await().until(() -> operator.get(Secret.class, "edits-publish-token") != null
                && !decode(operator.get(Secret.class, "edits-publish-token"), "token").equals(token));
        await().ignoreExceptions().until(() -> podTemplateHash("edits").equals(secretsHash(relay)));
    }

    private static String podTemplateHash(String relay) {
        return deployment(relay).getSpec().getTemplate().getMetadata().getAnnotations()
                .get(DeploymentDependent.TOKENS_ANNOTATION);
    }

    /** What the pods' hash must be for the Secrets as they are now. */
    private static String secretsHash(SseRelay relay) {
        return DeploymentDependent.tokensHash(relay, List.of(operator.get(Secret.class, "edits-peer-token"),
                operator.get(Secret.class, "edits-publish-token")));
    }

    @Test
    void kubectlScaleGoesThroughTheScaleSubresourceAndTheBudgetFollows() {
        SseRelay relay = operator.create(relay("scaled", 2));
        awaitOwned(PodDisruptionBudget.class, "scaled", relay);
        OperatorTestPlane.adminClient().resources(SseRelay.class).inNamespace(operator.getNamespace())
                .withName("scaled").scale(5);
        await().until(() -> deployment("scaled").getSpec().getReplicas() == 5);
        OperatorTestPlane.adminClient().resources(SseRelay.class).inNamespace(operator.getNamespace())
                .withName("scaled").scale(1);
        await().until(() -> deployment("scaled").getSpec().getReplicas() == 1
                && operator.get(PodDisruptionBudget.class, "scaled") == null);
    }

    @Test
    void anAutoscalerScalesTheSseRelayByItsSubscribersAndCpuWhileAutoscalingIsSet() {
        SseRelay relay = relay("scaling", 2);
        relay.getSpec().setReplicas(null);
        relay.getSpec().setAutoscaling(new AutoscalingSpec());
        relay.getSpec().getAutoscaling().setMaxReplicas(10);
        relay.getSpec().getAutoscaling().setTargetSubscribersPerRelay(5000);
        relay = operator.create(relay);
        HorizontalPodAutoscaler hpa = awaitOwned(HorizontalPodAutoscaler.class, "scaling", relay);
        assertThat(hpa.getSpec().getScaleTargetRef().getApiVersion()).isEqualTo("sserelay.io/v1alpha1");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("SseRelay");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("scaling");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(10);
        assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(metric -> {
            assertThat(metric.getPods().getMetric().getName()).isEqualTo("sserelay_connections");
            assertThat(metric.getPods().getTarget().getAverageValue()).isEqualTo(new Quantity("5000"));
        });
        assertThat(hpa.getSpec().getBehavior().getScaleDown().getPolicies()).singleElement()
                .satisfies(policy -> assertThat(policy.getValue()).isEqualTo(1));

        // The autoscaler's way of scaling: the scale subresource, as kubectl scale uses it.
        OperatorTestPlane.adminClient().resources(SseRelay.class).inNamespace(operator.getNamespace())
                .withName("scaling").scale(4);
        await().until(() -> deployment("scaling").getSpec().getReplicas() == 4);

        SseRelay changed = operator.get(SseRelay.class, "scaling");
        changed.getSpec().getAutoscaling().setMinReplicas(3);
        changed.getSpec().getAutoscaling().setTargetCPUUtilizationPercentage(70);
        operator.replace(changed);
        await().untilAsserted(() -> {
            HorizontalPodAutoscaler now = operator.get(HorizontalPodAutoscaler.class, "scaling");
            assertThat(now.getSpec().getMinReplicas()).isEqualTo(3);
            assertThat(now.getSpec().getMetrics()).extracting(m -> m.getType())
                    .containsExactly("Pods", "Resource");
            assertThat(now.getSpec().getMetrics().get(1).getResource().getTarget().getAverageUtilization())
                    .isEqualTo(70);
        });

        changed = operator.get(SseRelay.class, "scaling");
        changed.getSpec().setAutoscaling(null);
        operator.replace(changed);
        await().until(() -> operator.get(HorizontalPodAutoscaler.class, "scaling") == null);
        assertThat(deployment("scaling").getSpec().getReplicas()).isEqualTo(4); // where the autoscaler left it
    }

    @Test
    void thePeersInTheStatusFollowTheRelayPods() {
        operator.create(relay("peers", 2));
        Pod a = pod("peers", "peers-a", "127.0.1.10", true);
        Pod b = pod("peers", "peers-b", "127.0.1.11", false);
        await().untilAsserted(() -> {
            var status = operator.get(SseRelay.class, "peers").getStatus();
            assertThat(status.getPeers()).containsExactly(new PeerStatus("peers-a", "127.0.1.10", true),
                    new PeerStatus("peers-b", "127.0.1.11", false));
            assertThat(status.getPeerCount()).isEqualTo(2);
            assertThat(status.getReadyReplicas()).isEqualTo(1);
            assertThat(status.getSelector()).isEqualTo("sserelay.io/relay=peers");
            assertThat(status.getEndpoint()).isEqualTo("http://peers." + operator.getNamespace() + ".svc:80");
            assertThat(StatusAggregator.find(status, "Ready").getStatus()).isEqualTo("False");
        });
        long generation = operator.get(SseRelay.class, "peers").getStatus().getPeersGeneration();
        setStatus(b, "127.0.1.11", true);
        await().until(() -> operator.get(SseRelay.class, "peers").getStatus().getReadyReplicas() == 2
                && "True".equals(StatusAggregator.find(operator.get(SseRelay.class, "peers").getStatus(), "Ready").getStatus()));
        assertThat(operator.get(SseRelay.class, "peers").getStatus().getPeersGeneration())
                .as("a pod's readiness is not a new peer set").isEqualTo(generation);
        setStatus(a, "127.0.1.20", false);
        await().until(() -> operator.get(SseRelay.class, "peers").getStatus().getPeers()
                .contains(new PeerStatus("peers-a", "127.0.1.20", false)));
        assertThat(operator.get(SseRelay.class, "peers").getStatus().getPeersGeneration()).isEqualTo(generation + 1);

        // A pod whose deletion has begun (held here by a finalizer, as a kubelet holds it through
        // preStop) leaves the peers at once and is listed as leaving until it is gone.
        Pod held = operator.get(Pod.class, "peers-b");
        held.getMetadata().setFinalizers(List.of("test.sserelay.io/hold"));
        OperatorTestPlane.adminClient().resource(held).update();
        OperatorTestPlane.adminClient().pods().inNamespace(operator.getNamespace()).withName("peers-b").delete();
        await().untilAsserted(() -> {
            var status = operator.get(SseRelay.class, "peers").getStatus();
            assertThat(status.getPeers()).containsExactly(new PeerStatus("peers-a", "127.0.1.20", false));
            assertThat(status.getLeavingPeers()).containsExactly(new PeerStatus("peers-b", "127.0.1.11", false));
            assertThat(status.getPeersGeneration()).isEqualTo(generation + 2);
        });
        Pod leaving = operator.get(Pod.class, "peers-b");
        leaving.getMetadata().setFinalizers(List.of());
        OperatorTestPlane.adminClient().resource(leaving).update();
        await().until(() -> operator.get(SseRelay.class, "peers").getStatus().getLeavingPeers().isEmpty());
        assertThat(operator.get(SseRelay.class, "peers").getStatus().getPeers())
                .containsExactly(new PeerStatus("peers-a", "127.0.1.20", false));
        assertThat(operator.get(SseRelay.class, "peers").getStatus().getPeersGeneration()).isEqualTo(generation + 3);
        assertThat(OperatorTestPlane.adminClient().v1().events().inNamespace(operator.getNamespace()).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("AllRelaysReady"));
    }

    @Test
    void aMissingTokenSecretMakesTheRelayDegradedUntilItExists() {
        SseRelay relay = relay("secretive", 1);
        relay.getSpec().setPublishAuth(new PublishAuthSpec());
        relay.getSpec().getPublishAuth().setSecretRef(new SecretKeyRef("publishers", "token"));
        operator.create(relay);
        await().untilAsserted(() -> {
            var degraded = StatusAggregator.find(operator.get(SseRelay.class, "secretive").getStatus(), "Degraded");
            assertThat(degraded).as("the Degraded condition, once the operator has written a status").isNotNull();
            assertThat(degraded.getStatus()).isEqualTo("True");
            assertThat(degraded.getMessage()).isEqualTo("publishAuth.secretRef names Secret 'publishers', which does"
                    + " not exist in namespace '" + operator.getNamespace() + "'");
        });
        assertThat(operator.get(Secret.class, "secretive-publish-token")).isNull();
        operator.create(new SecretBuilder().withNewMetadata().withName("publishers").endMetadata()
                .addToStringData("token", "a-publish-token-of-some-length").build());
        await().atMost(Duration.ofSeconds(60)).until(() -> "False".equals(StatusAggregator.find(
                operator.get(SseRelay.class, "secretive").getStatus(), "Degraded").getStatus()));
        // With the user's Secret there is no generated publish token to wait for.
        await().until(() -> operator.get(Deployment.class, "secretive") != null);
    }

    @Test
    void aRelayInJwtModeIsDegradedUntilItsKeySecretHoldsALongEnoughSecret() {
        SseRelay relay = relay("signed", 1);
        relay.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        relay.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        relay.getSpec().setJwt(new JwtSpec());
        relay.getSpec().getJwt().setHmacSecretRef(new SecretKeyRef("signing", "hmac"));
        operator.create(relay);
        await().untilAsserted(() -> assertThat(degradedMessage("signed"))
                .isEqualTo("jwt.hmacSecretRef names Secret 'signing', which does not exist in namespace '"
                        + operator.getNamespace() + "'"));
        operator.create(new SecretBuilder().withNewMetadata().withName("signing").endMetadata()
                .addToStringData("hmac", "too-short").build());
        // Secrets the SseRelay names are not watched (yet): a degraded relay is checked again periodically.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(degradedMessage("signed")).isEqualTo("jwt.hmacSecretRef: the secret in"
                + " Secret 'signing' key 'hmac' is 9 bytes long; HS256 needs at least 32"));
        operator.replace(new SecretBuilder().withNewMetadata().withName("signing").endMetadata()
                .addToStringData("hmac", "a-shared-secret-of-at-least-32-bytes").build());
        await().atMost(Duration.ofSeconds(60)).until(() -> "False".equals(StatusAggregator.find(
                operator.get(SseRelay.class, "signed").getStatus(), "Degraded").getStatus()));
        await().until(() -> operator.get(Deployment.class, "signed") != null);
        var env = operator.get(Deployment.class, "signed").getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
        assertThat(env).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("RELAY_SUBSCRIBE_AUTH");
            assertThat(e.getValue()).isEqualTo("jwt");
        });
        assertThat(env).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("RELAY_JWT_HMAC_SECRET");
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("signing");
        });

        // Rotating the key in the user's Secret rolls the relays onto it, without a manual restart.
        String before = podTemplateHash("signed");
        operator.replace(new SecretBuilder().withNewMetadata().withName("signing").endMetadata()
                .addToStringData("hmac", "the-next-shared-secret-of-32-bytes-or-more").build());
        await().atMost(Duration.ofSeconds(90)).until(() -> !podTemplateHash("signed").equals(before));
        assertThat(podTemplateHash("signed")).as("a hash of versions, not of the secret").doesNotContain("next");
    }

    private static String degradedMessage(String name) {
        var degraded = StatusAggregator.find(operator.get(SseRelay.class, name).getStatus(), "Degraded");
        assertThat(degraded).as("the Degraded condition, once the operator has written a status").isNotNull();
        return degraded.getMessage();
    }

    @Test
    void invalidSseRelaysAreRejectedWithMessagesPeopleUnderstand() {
        assertRejected(relay("toomany", 101), "spec.replicas: Invalid value: 101: spec.replicas in body should be less"
                + " than or equal to 100");
        SseRelay heartbeat = relay("beat", 1);
        heartbeat.getSpec().setHeartbeat("15 sec");
        assertRejected(heartbeat, "heartbeat must be a duration between 100ms and 10m");
        SseRelay ackTimeout = relay("ack", 1);
        ackTimeout.getSpec().setPublishAck(new PublishAckSpec());
        ackTimeout.getSpec().getPublishAck().setTimeout("5m");
        assertRejected(ackTimeout, "publishAck.timeout must be a duration between 10ms and 1m");
        SseRelay both = relay("both", 1);
        both.getSpec().setPublishAuth(new PublishAuthSpec());
        both.getSpec().getPublishAuth().setDisabled(true);
        both.getSpec().getPublishAuth().setSecretRef(new SecretKeyRef("x", "token"));
        assertRejected(both, "publishAuth takes one of secretRef (publishers send that token), disabled: true");
        SseRelay jwtWithoutKeys = relay("nokeys", 1);
        jwtWithoutKeys.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        jwtWithoutKeys.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        assertRejected(jwtWithoutKeys, "jwt (how signed tokens are checked) goes with publishAuth.mode or"
                + " subscribeAuth.mode 'jwt'");
        jwtWithoutKeys.getSpec().setJwt(new JwtSpec());
        assertRejected(jwtWithoutKeys, "jwt needs exactly one of hmacSecretRef");
        SseRelay cookieForEveryone = relay("cookie", 1);
        cookieForEveryone.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        cookieForEveryone.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        cookieForEveryone.getSpec().setJwt(new JwtSpec());
        cookieForEveryone.getSpec().getJwt().setJwksUrl("https://login.example.com/.well-known/jwks.json");
        cookieForEveryone.getSpec().getJwt().setCookie("sse_token");
        cookieForEveryone.getSpec().setCors(new CorsSpec());
        cookieForEveryone.getSpec().getCors().setAllowedOrigins(List.of("*"));
        assertRejected(cookieForEveryone, "cors.allowedOrigins must list your pages' exact origins, not *");
        SseRelay plainJwks = relay("plainjwks", 1);
        plainJwks.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        plainJwks.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        plainJwks.getSpec().setJwt(new JwtSpec());
        for (String plain : List.of("http://login.example.com/.well-known/jwks.json",
                "http://localhost.example.com/jwks.json", "http://127.0.0.1@login.example.com/jwks.json")) {
            plainJwks.getSpec().getJwt().setJwksUrl(plain);
            assertRejected(plainJwks, "jwt.jwksUrl must be https");
        }
        for (String accepted : List.of("http://127.0.0.1:8081/jwks.json", "http://[::1]/jwks", "http://localhost")) {
            plainJwks.getSpec().getJwt().setJwksUrl(accepted);
            assertThat(operator.getKubernetesClient().resource(plainJwks).inNamespace(operator.getNamespace()).dryRun()
                    .create()).as(accepted).isNotNull();
        }
        SseRelay buffer = relay("buffer", 1);
        buffer.getSpec().setMaxEventBytes(1048576);
        buffer.getSpec().setSubscriberBufferBytes(65536);
        assertRejected(buffer, "subscriberBufferBytes must be at least maxEventBytes");
        SseRelay noTarget = relay("notarget", 1);
        noTarget.getSpec().setAutoscaling(new AutoscalingSpec());
        noTarget.getSpec().getAutoscaling().setMaxReplicas(5);
        assertRejected(noTarget, "autoscaling needs a target: targetSubscribersPerRelay, targetCPUUtilizationPercentage");
        noTarget.getSpec().getAutoscaling().setTargetCPUUtilizationPercentage(60);
        noTarget.getSpec().getAutoscaling().setMinReplicas(6);
        assertRejected(noTarget, "autoscaling.minReplicas (2 when not set) must not be more than autoscaling.maxReplicas");
        noTarget.getSpec().getAutoscaling().setMinReplicas(null);
        noTarget.getSpec().getAutoscaling().setMaxReplicas(1);
        assertRejected(noTarget, "autoscaling.minReplicas (2 when not set) must not be more than autoscaling.maxReplicas");
        SseRelay emptyScraper = relay("scraper", 1);
        emptyScraper.getSpec().setMetrics(new MetricsSpec());
        emptyScraper.getSpec().getMetrics().setAllowedFrom(List.of(new NetworkPolicyPeer()));
        assertRejected(emptyScraper, "each entry of allowedFrom needs a podSelector, a namespaceSelector or an ipBlock");
        assertRejected(relay("Not_A_Name", 1), "metadata.name");
        assertRejected(relay("a-name-that-is-far-too-long-to-fit-in-pod-names-abcdef", 1),
                "the name must be at most 45 characters");
    }

    private static void assertRejected(SseRelay relay, String message) {
        assertThatThrownBy(() -> operator.create(relay))
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining(message);
    }

    static SseRelay relay(String name, int replicas) {
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName(name);
        relay.setSpec(new SseRelaySpec());
        relay.getSpec().setReplicas(replicas);
        return relay;
    }

    private static Deployment deployment(String name) {
        return operator.get(Deployment.class, name);
    }

    private static <T extends HasMetadata> T awaitOwned(Class<T> type, String name, SseRelay owner) {
        await().until(() -> operator.get(type, name) != null);
        T object = operator.get(type, name);
        String uid = operator.get(SseRelay.class, owner.getMetadata().getName()).getMetadata().getUid();
        assertThat(object.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> {
            assertThat(ref.getKind()).isEqualTo("SseRelay");
            assertThat(ref.getName()).isEqualTo(owner.getMetadata().getName());
            assertThat(ref.getUid()).isEqualTo(uid);
        });
        return object;
    }

    private static Pod pod(String relay, String name, String ip, boolean ready) {
        Pod pod = operator.create(new PodBuilder()
                .withNewMetadata().withName(name)
                .withLabels(Map.of(RelayNames.RELAY_LABEL, relay, RelayNames.MANAGED_BY_LABEL, RelayNames.MANAGED_BY))
                .endMetadata()
                .withNewSpec().addNewContainer().withName("relay").withImage(IMAGE).endContainer().endSpec()
                .build());
        return setStatus(pod, ip, ready);
    }

    /** What a kubelet would report: the pod's address and readiness, its relay container started. */
    private static Pod setStatus(Pod pod, String ip, boolean ready) {
        Pod current = operator.get(Pod.class, pod.getMetadata().getName());
        current.getStatus().setPhase("Running");
        current.getStatus().setPodIP(ip);
        current.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("relay").withImage(IMAGE)
                .withImageID("").withRestartCount(0).withStarted(true).withReady(ready).build()));
        current.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready")
                .withStatus(ready ? "True" : "False").build()));
        return OperatorTestPlane.adminClient().resource(current).updateStatus();
    }

    private static EnvVar env(List<EnvVar> env, String name) {
        return env.stream().filter(e -> e.getName().equals(name)).findFirst().orElse(null);
    }

    private static String decode(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
}
