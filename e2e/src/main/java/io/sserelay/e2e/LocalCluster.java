package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.javaoperatorsdk.operator.Operator;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelayStatus;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.FullPlane;
import io.sserelay.testplane.ServiceProxy;
import org.awaitility.Awaitility;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The whole product on this machine, as the end-to-end tests and the demo run it: a
 * {@link FullPlane} with the SseRelay CRD installed, one namespace, the operator watching it, a
 * {@link RelayPodRunner} that runs a real relay for each relay pod, and, on request, a
 * {@link ServiceProxy} for a Service. The end-to-end tests run the images ({@link #fromImages});
 * the demo ({@link #start}) runs the operator in this JVM and each relay in a JVM of its own,
 * which starts in seconds and needs neither root nor podman. Closing it stops everything it
 * started, the last started first.
 *
 * <p>Not thread-safe: one thread starts, uses and closes it.
 */
public final class LocalCluster implements AutoCloseable {

    /** Never pulled: the runner runs the relay from this JVM's classpath. */
    private static final String RELAY_IMAGE = "sserelay/relay:local";
    /** Where config/default installs the operator. */
    public static final String OPERATOR_NAMESPACE = "sse-relay-system";

    private final Path repository;
    private final String namespace;
    private final FullPlane plane;
    private final List<AutoCloseable> started = new ArrayList<>();
    private RelayPodRunner relays;

    private LocalCluster(Path repository, String namespace, FullPlane plane) {
        this.repository = repository;
        this.namespace = namespace;
        this.plane = plane;
    }

    /**
     * Starts the plane, installs the CRD from {@code repository}, creates {@code namespace} and
     * starts the operator and the relay pods' runner; each relay's output goes to
     * {@code relayLogs}/&lt;pod&gt;.log.
     */
    public static LocalCluster start(Path repository, String namespace, Path relayLogs) {
        LocalCluster cluster = new LocalCluster(repository.toAbsolutePath().normalize(), namespace, FullPlane.start());
        try {
            cluster.plane.installCrd(cluster.repository.resolve("crds/sserelays.sserelay.io-v1.yml"));
            cluster.plane.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                    .endMetadata().build()).create();
            Operator operator = new Operator(o -> o.withKubernetesClient(cluster.plane.client())
                    .withCloseClientOnStop(false).withDependentResourceFactory(new RelayDependentFactory(RELAY_IMAGE)));
            operator.register(new SseRelayReconciler(), o -> o.settingNamespaces(namespace));
            cluster.started.add(operator::stop);
            operator.start();
            cluster.relays = new RelayPodRunner(cluster.plane, namespace, relayLogs, new JvmRuntime(),
                    RelayNames.RELAY_LABEL);
            cluster.started.add(cluster.relays);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * The product as it ships, on a {@link FullPlane}: the images built from this build's jars
     * ({@link ContainerImages}), {@code kubectl apply -k config/default} as an administrator
     * installs it, the operator's pod run from its image, and each relay pod from the relay image,
     * all under podman ({@link PodmanRuntime}). The operator watches every namespace, as installed.
     * Each pod's output goes to {@code logs}/&lt;pod&gt;.log.
     */
    public static LocalCluster fromImages(Path repository, String namespace, Path logs) {
        return fromImages(repository, namespace, logs, (plane, repo) -> {
            plane.installCrd(repo.resolve("crds/sserelays.sserelay.io-v1.yml"));
            plane.kubectl(repo, "apply", "-k", "config/default");
        });
    }

    /** The release name that gives the chart's objects config/'s names. */
    public static final String HELM_RELEASE = "sse-relay-operator";

    /**
     * As {@link #fromImages(Path, String, Path)}, with the operator installed as a platform team
     * installs it with Helm: {@code helm install sse-relay-operator charts/sse-relay-operator
     * --namespace sse-relay-system --create-namespace} and {@code values}, each a {@code --set}.
     */
    public static LocalCluster fromHelmChart(Path repository, String namespace, Path logs, String... values) {
        return fromImages(repository, namespace, logs, (plane, repo) -> {
            List<String> arguments = new ArrayList<>(List.of("install", HELM_RELEASE, "charts/sse-relay-operator",
                    "--namespace", OPERATOR_NAMESPACE, "--create-namespace"));
            for (String value : values) {
                arguments.addAll(List.of("--set", value));
            }
            plane.helm(repo, arguments.toArray(String[]::new));
        });
    }

    private static LocalCluster fromImages(Path repository, String namespace, Path logs,
            BiConsumer<FullPlane, Path> installOperator) {
        Path repo = repository.toAbsolutePath().normalize();
        ContainerImages.build(repo, logs.resolve("build-images.log"));
        LocalCluster cluster = new LocalCluster(repo, namespace, FullPlane.start());
        try {
            installOperator.accept(cluster.plane, repo);
            cluster.plane.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                    .endMetadata().build()).create();
            cluster.started.add(new RelayPodRunner(cluster.plane, OPERATOR_NAMESPACE, logs, new PodmanRuntime(),
                    "app.kubernetes.io/name"));
            cluster.relays = new RelayPodRunner(cluster.plane, namespace, logs, new PodmanRuntime(),
                    RelayNames.RELAY_LABEL);
            cluster.started.add(cluster.relays);
            Awaitility.await("the operator's pods, run from its image, to be ready").atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        Deployment operator = cluster.plane.client().apps().deployments().inNamespace(OPERATOR_NAMESPACE)
                                .withName("sse-relay-operator").get();
                        return operator != null && operator.getStatus() != null
                                && Objects.equals(operator.getStatus().getReadyReplicas(), operator.getSpec().getReplicas());
                    });
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public FullPlane plane() {
        return plane;
    }

    /** The kubelet of the relay pods: the running relays. */
    public RelayPodRunner relays() {
        return relays;
    }

    public String namespace() {
        return namespace;
    }

    /** Runs the plane's helm in the repository's directory. */
    public String helm(String... arguments) {
        return plane.helm(repository, arguments);
    }

    /** Runs the plane's kubectl in the repository's directory, in this cluster's namespace. */
    public String kubectl(String... arguments) {
        List<String> all = new ArrayList<>(List.of("-n", namespace));
        all.addAll(List.of(arguments));
        return plane.kubectl(repository, all.toArray(String[]::new));
    }

    /** Starts the stand-in for the data path of the Service {@code name}; closed with the cluster. */
    public ServiceProxy proxyService(String name) {
        ServiceProxy proxy = ServiceProxy.start(plane.client(), namespace, name);
        started.add(proxy);
        return proxy;
    }

    /**
     * Applies {@code config/samples/news.yaml} as a user does, waits until its three relays are
     * ready, follow each other and are the Service's endpoints, and returns the Service's stand-in.
     */
    public ServiceProxy applyNewsSample(Duration atMost) {
        kubectl("apply", "-f", "config/samples/news.yaml");
        awaitRelays("news", 3, atMost);
        ServiceProxy news = proxyService("news");
        Awaitility.await("the Service's three endpoints").atMost(atMost).until(() -> news.readyEndpoints().size() == 3);
        return news;
    }

    /** The publish token the operator generated for the SseRelay {@code relay}. */
    public String publishToken(String relay) {
        Secret secret = plane.client().secrets().inNamespace(namespace).withName(relay + "-publish-token").get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    /**
     * Waits until the SseRelay {@code relay} has exactly {@code replicas} peers, all of them
     * Ready, and each running relay follows, and is followed by, all the others.
     */
    public void awaitRelays(String relay, int replicas, Duration atMost) {
        Awaitility.await(replicas + " relays of " + relay + ", ready with each other in their views").atMost(atMost)
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    SseRelay current = plane.client().resources(SseRelay.class).inNamespace(namespace).withName(relay)
                            .get();
                    SseRelayStatus status = current == null ? null : current.getStatus();
                    return status != null && Objects.equals(status.getPeerCount(), replicas)
                            && Objects.equals(status.getReadyReplicas(), replicas) && relays.meshed(replicas)
                            && rolledOut(relay, replicas);
                });
    }

    /**
     * Whether the SseRelay's Deployment has finished rolling out: every pod runs its current
     * template. A new SseRelay's pods are sometimes rolled once more right after they start
     * (the operator hashes the generated tokens into the template, and may first see only one
     * of the two Secrets), and a test that began meanwhile would lose its relays to the rollout.
     */
    private boolean rolledOut(String relay, int replicas) {
        Deployment deployment = plane.client().apps().deployments().inNamespace(namespace).withName(relay).get();
        if (deployment == null || deployment.getStatus() == null) {
            return false;
        }
        DeploymentStatus status = deployment.getStatus();
        return Objects.equals(status.getObservedGeneration(), deployment.getMetadata().getGeneration())
                && Objects.equals(status.getReplicas(), replicas) && Objects.equals(status.getUpdatedReplicas(), replicas)
                && Objects.equals(status.getAvailableReplicas(), replicas);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("stopping the local cluster failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            plane.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
