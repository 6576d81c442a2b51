package io.sserelay.operator;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.MinimalPlane;

import java.nio.file.Path;
import java.util.List;

/**
 * One real API server (etcd + kube-apiserver) for all operator tests of a run, with the
 * operator's RBAC from {@code config/rbac} installed. {@link #operatorClient()} acts as the
 * operator's ServiceAccount (the admin impersonates it), so a permission missing from the
 * ClusterRole fails the tests as it would in a cluster. Stopped when the test JVM exits.
 */
final class OperatorTestPlane {

    static final String OPERATOR_NAMESPACE = "sse-relay-system";
    static final String OPERATOR_ACCOUNT = "system:serviceaccount:" + OPERATOR_NAMESPACE + ":sse-relay-operator";
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path CRD = REPO.resolve("crds/sserelays.sserelay.io-v1.yml");

    private static MinimalPlane plane;
    private static KubernetesClient operatorClient;

    private OperatorTestPlane() {
    }

    static synchronized MinimalPlane plane() {
        if (plane == null) {
            plane = MinimalPlane.start();
            Runtime.getRuntime().addShutdownHook(new Thread(plane::close, "operator-test-plane-stop"));
            plane.installCrd(CRD); // as a cluster admin does: the operator itself may not touch CRDs
            installOperatorRbac(plane.client());
        }
        return plane;
    }

    /**
     * The operator run by JOSDK's extension on this plane, one namespace per test class. The
     * extension itself (namespaces, the CRD, the tests' own requests) uses an admin client; the
     * operator gets the client that acts as its ServiceAccount.
     */
    static LocallyRunOperatorExtension operatorExtension(String relayImage) {
        return LocallyRunOperatorExtension.builder()
                .withInfrastructureKubernetesClient(newAdminClient())
                .withKubernetesClient(newAdminClient())
                .withConfigurationService(o -> o
                        .withKubernetesClient(operatorClient())
                        .withCloseClientOnStop(false)
                        .withDependentResourceFactory(new RelayDependentFactory(relayImage)))
                .withReconciler(new SseRelayReconciler())
                .withAdditionalCRD(CRD.toString())
                .oneNamespacePerClass(true)
                .waitForNamespaceDeletion(false)
                .build();
    }

    static KubernetesClient adminClient() {
        return plane().client();
    }

    /** An admin client of its own, for a user that closes the client it is given. */
    static KubernetesClient newAdminClient() {
        return new KubernetesClientBuilder().withConfig(plane().client().getConfiguration()).build();
    }

    static synchronized KubernetesClient operatorClient() {
        if (operatorClient == null) {
            Config admin = plane().client().getConfiguration();
            Config asOperator = new ConfigBuilder(admin)
                    .withImpersonateUsername(OPERATOR_ACCOUNT)
                    .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + OPERATOR_NAMESPACE,
                            "system:authenticated")
                    .build();
            operatorClient = new KubernetesClientBuilder().withConfig(asOperator).build();
        }
        return operatorClient;
    }

    /** A real token of the operator's ServiceAccount, as its pod would have, for the operator run as a process. */
    static Path operatorKubeconfig() {
        return plane().serviceAccountKubeconfig(OPERATOR_NAMESPACE, "sse-relay-operator");
    }

    private static void installOperatorRbac(KubernetesClient admin) {
        admin.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata().withName(OPERATOR_NAMESPACE).endMetadata().build()).serverSideApply();
        for (String file : List.of("identity/service_account.yaml", "rules/cluster_role.yaml",
                "cluster_role_binding.yaml", "identity/leader_election_role.yaml")) {
            plane.apply(REPO.resolve("config/rbac").resolve(file));
        }
    }
}
