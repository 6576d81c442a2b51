package io.sserelay.operator;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.MinimalPlane;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code config/namespaced} on a real API server of its own (the shared one binds the operator's
 * ClusterRole cluster-wide): the operator, with exactly the rights it installs, watches and
 * reconciles its namespace and may read nothing in any other, nor anything cluster-wide.
 */
class NamespacedInstallTest {

    private static final String WATCHED = "apps";
    private static final String OTHER = "elsewhere";

    private static MinimalPlane plane;
    private static KubernetesClient asOperator;

    @BeforeAll
    static void install() {
        plane = MinimalPlane.start();
        for (String namespace : new String[] {WATCHED, OTHER}) {
            plane.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                    .endMetadata().build()).create();
        }
        // Server-side, as the CRD is too large for the annotation client-side apply keeps.
        assertThat(plane.kubectl(OperatorTestPlane.REPO, "apply", "--server-side", "-k", "config/namespaced"))
                .contains("rolebinding.rbac.authorization.k8s.io/sse-relay-operator serverside-applied",
                        "deployment.apps/sse-relay-operator serverside-applied");
        plane.client().apiextensions().v1().customResourceDefinitions().withName("sserelays.sserelay.io")
                .waitUntilCondition(crd -> crd != null && crd.getStatus() != null && crd.getStatus().getConditions()
                        .stream().anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())),
                        60, java.util.concurrent.TimeUnit.SECONDS);
        Config impersonating = new ConfigBuilder(plane.client().getConfiguration())
                .withImpersonateUsername(OperatorTestPlane.OPERATOR_ACCOUNT)
                .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:"
                        + OperatorTestPlane.OPERATOR_NAMESPACE, "system:authenticated")
                .build();
        asOperator = new KubernetesClientBuilder().withConfig(impersonating).build();
    }

    @AfterAll
    static void stop() {
        if (asOperator != null) {
            asOperator.close();
        }
        if (plane != null) {
            plane.close();
        }
    }

    @Test
    void theOperatorIsToldToWatchOnlyTheListedNamespaces() {
        Deployment operator = plane.client().apps().deployments().inNamespace(OperatorTestPlane.OPERATOR_NAMESPACE)
                .withName("sse-relay-operator").get();
        // The patch replaced the variable config/manager sets, and nothing else.
        assertThat(operator.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .extracting(env -> env.getName() + "=" + env.getValue())
                .containsExactly("SSERELAY_RELAY_IMAGE=sserelay/relay:0.1.0-SNAPSHOT", "SSERELAY_WATCH_NAMESPACES=" + WATCHED);
        assertThat(plane.client().rbac().clusterRoleBindings().list().getItems())
                .noneMatch(binding -> binding.getSubjects() != null && binding.getSubjects().stream()
                        .anyMatch(s -> "sse-relay-operator".equals(s.getName())));
    }

    @Test
    void itMayReadNothingOutsideItsNamespaces() {
        forbidden(() -> asOperator.secrets().inNamespace(OTHER).list());
        forbidden(() -> asOperator.secrets().inAnyNamespace().list());
        forbidden(() -> asOperator.resources(SseRelay.class).inNamespace(OTHER).list());
        forbidden(() -> asOperator.resources(SseRelay.class).inAnyNamespace().list());
        forbidden(() -> asOperator.pods().inAnyNamespace().list());
        assertThat(asOperator.secrets().inNamespace(WATCHED).list().getItems()).isNotNull();
    }

    @Test
    void withExactlyThoseRightsItReconcilesAnSseRelayInItsNamespace() {
        Operator operator = new Operator(o -> o.withKubernetesClient(asOperator).withCloseClientOnStop(false)
                .withDependentResourceFactory(new RelayDependentFactory("sserelay/relay:test")));
        operator.register(new SseRelayReconciler(), o -> o.settingNamespaces(WATCHED));
        operator.start();
        try {
            SseRelay relay = SseRelayOperatorTest.relay("news", 2);
            relay.getMetadata().setNamespace(WATCHED);
            plane.client().resource(relay).create();
            await().atMost(Duration.ofSeconds(60)).until(() -> plane.client().apps().deployments().inNamespace(WATCHED)
                    .withName("news").get() != null);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                SseRelay current = plane.client().resources(SseRelay.class).inNamespace(WATCHED).withName("news").get();
                return current.getStatus() != null && current.getStatus().getObservedGeneration() != null;
            });
        } finally {
            operator.stop();
        }
    }

    private static void forbidden(Executable request) {
        assertThatThrownBy(request::execute).isInstanceOfSatisfying(KubernetesClientException.class,
                e -> assertThat(e.getCode()).isEqualTo(403));
    }
}
