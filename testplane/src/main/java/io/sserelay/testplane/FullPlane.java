package io.sserelay.testplane;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A {@link MinimalPlane} plus kube-controller-manager, kube-scheduler and kwok with fake
 * nodes: a Deployment turns into ReplicaSets and pods, pods are scheduled onto the nodes and
 * become Running and Ready, and deleting an owner garbage-collects what it owns.
 *
 * <p>No container runs. kwok gives each pod an IP from {@value #POD_CIDR}, a loopback range
 * where every address binds without setup, so a test can start the real process a pod stands
 * for on that pod's IP. Every process binds only to 127.0.0.1 or serves nothing at all.
 */
public final class FullPlane extends ControlPlane {

    /** Pod IPs; kwok hands out 127.0.1.1 first. */
    public static final String POD_CIDR = "127.0.1.0/24";
    /** The annotation that tells kwok which nodes are its own to play. */
    static final String KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

    private static final int NODES = 2;
    private static final Duration COMPONENT_STARTUP = Duration.ofSeconds(120);

    private final List<String> nodeNames =
            IntStream.rangeClosed(1, NODES).mapToObj(i -> "kwok-node-" + i).toList();

    private FullPlane(PlaneBinaries binaries) {
        super("full", binaries);
    }

    /** Starts the whole plane and returns once the controllers and the scheduler lead and every node is Ready. */
    public static FullPlane start() {
        return started(new FullPlane(PlaneBinaries.forFullPlane()), plane -> {
            plane.startEtcdAndApiServer(List.of());
            plane.startComponents();
        });
    }

    private void startComponents() {
        String kubeconfig = kubeconfig().toString();
        var controllerManager = launch(binaries().kubeControllerManager(), withCommonComponentFlags(
                "--controllers=*",
                "--service-account-private-key-file=" + credentials().serviceAccountKey(),
                "--root-ca-file=" + credentials().servingCertificate(),
                "--use-service-account-credentials=false"), Map.of());
        var scheduler = launch(binaries().kubeScheduler(), withCommonComponentFlags(), Map.of());

        nodeNames.forEach(name -> client().nodes().resource(fakeNode(name)).create());
        var kwok = launch(binaries().kwok(), List.of(
                "--kubeconfig=" + kubeconfig,
                "--config=" + writeKwokStages(),
                "--manage-nodes-with-annotation-selector=" + KWOK_NODE_ANNOTATION + "=fake",
                "--cidr=" + POD_CIDR,
                "--node-ip=" + LoopbackPorts.ADDRESS,
                // Without a renewed Lease (or status updates) the node lifecycle controller would mark
                // the nodes NotReady after its grace period and evict their pods.
                "--node-lease-duration-seconds=40"),
                // kwok also reads ~/.kwok/kwok.yaml when it exists; a plane must not depend on it.
                Map.of("HOME", directory().toString()));

        controllerManager.awaitReady("leading", COMPONENT_STARTUP, () -> holdsLease("kube-controller-manager"));
        scheduler.awaitReady("leading", COMPONENT_STARTUP, () -> holdsLease("kube-scheduler"));
        kwok.awaitReady("running the nodes", COMPONENT_STARTUP,
                () -> nodeNames.stream().allMatch(this::isNodeReady));
    }

    /**
     * The flags kube-controller-manager and kube-scheduler share. With --secure-port=0 neither
     * serves anything, so neither binds a port; their readiness is read from the API instead, as
     * the Lease each takes when it becomes the leader.
     */
    private List<String> withCommonComponentFlags(String... flags) {
        String kubeconfig = kubeconfig().toString();
        var all = new ArrayList<>(List.of(
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                "--bind-address=" + LoopbackPorts.ADDRESS,
                "--secure-port=0",
                "--leader-elect=true",
                // Long enough to ride out an API server outage a test causes on purpose
                // (ControlPlane.stopApiServer); with the defaults they would exit after 10 s.
                "--leader-elect-lease-duration=60s",
                "--leader-elect-renew-deadline=50s",
                "--leader-elect-retry-period=2s",
                "--profiling=false"));
        all.addAll(List.of(flags));
        return all;
    }

    private static Node fakeNode(String name) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToAnnotations(KWOK_NODE_ANNOTATION, "fake")
                .addToLabels("kubernetes.io/hostname", name)
                // One zone per node, so that spreading over zones can be seen.
                .addToLabels("topology.kubernetes.io/zone", "zone-" + name.substring(name.lastIndexOf('-') + 1))
                .addToLabels("kubernetes.io/os", "linux")
                .addToLabels("type", "kwok")
                .endMetadata()
                .build();
    }

    private Path writeKwokStages() {
        Path stages = directory().resolve("kwok-stages.yaml");
        try (InputStream in = FullPlane.class.getResourceAsStream("kwok-stages.yaml")) {
            if (in == null) {
                throw new IllegalStateException("kwok-stages.yaml is missing from the classpath beside " + FullPlane.class);
            }
            Files.copy(in, stages);
            return stages;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + stages, e);
        }
    }

    private boolean holdsLease(String name) {
        try {
            var lease = client().leases().inNamespace("kube-system").withName(name).get();
            return lease != null && lease.getSpec().getHolderIdentity() != null
                    && !lease.getSpec().getHolderIdentity().isEmpty();
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    private boolean isNodeReady(String name) {
        try {
            var node = client().nodes().withName(name).get();
            return node != null && node.getStatus() != null && node.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    /** The names of the fake nodes kwok runs. */
    public List<String> nodeNames() {
        return nodeNames;
    }
}
