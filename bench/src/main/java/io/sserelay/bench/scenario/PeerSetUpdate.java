package io.sserelay.bench.scenario;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SseRelayStatus;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.bench.Await;
import io.sserelay.bench.relay.RelayProcess;
import io.sserelay.e2e.RelayPodRunner;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.FullPlane;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * S5: on the local control plane (etcd, kube-apiserver, controller manager, scheduler, kwok
 * nodes, the operator, a real relay process per pod), a relay pod is replaced and so its
 * address changes. Measures, from the moment the new pod's IP is in the API server, how long
 * until every other relay runs on a view of the cluster with the new address among its members
 * and the old one no longer: the operator's pod watch, its status patch, and each relay's watch
 * of its SseRelay.
 *
 * <p>A relay's view is read from its metrics: {@code sserelay_cluster_view_generation}, against
 * the generation of the status that lists the new address as a member and the old one as
 * leaving, and a {@code sserelay_peer_link_up{peer="ip:port"}} sample for the new member, whose
 * link opens as the relay hands it its streams.
 */
public final class PeerSetUpdate implements Scenario {

    private static final String NAMESPACE = "bench";
    private static final String NAME = "bench";
    private static final int REPLICAS = 3;
    private static final String HOLD_IP = "bench.sserelay.io/hold-ip";
    private static final Duration UPDATE_TIMEOUT = Duration.ofSeconds(30);
    private static final double TARGET_P99_MS = 2_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path crd;

    /** @param crd the SseRelay CRD file ({@code crds/sserelays.sserelay.io-v1.yml}) */
    public PeerSetUpdate(Path crd) {
        this.crd = crd;
    }

    @Override
    public String id() {
        return "S5";
    }

    @Override
    public String title() {
        return "Peer-set update: a relay pod's IP changes on the local control plane";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        if (!Files.isRegularFile(crd)) {
            throw new IllegalStateException("no CRD at " + crd);
        }
        int changes = context.count(30, 3);
        Histogram updates = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        int missed = 0;
        try (FullPlane plane = FullPlane.start()) {
            KubernetesClient client = plane.client();
            plane.installCrd(crd);
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata()
                    .build()).create();
            Operator operator = new Operator(o -> o.withKubernetesClient(plane.client()).withCloseClientOnStop(false)
                    .withDependentResourceFactory(new RelayDependentFactory("sserelay/relay:bench")));
            operator.register(new SseRelayReconciler(), o -> o.settingNamespaces(NAMESPACE));
            operator.start();
            try (RelayPodRunner kubelet = new RelayPodRunner(plane, NAMESPACE)) {
                SseRelay relay = new SseRelay();
                relay.setMetadata(new ObjectMetaBuilder().withName(NAME).withNamespace(NAMESPACE).build());
                relay.setSpec(new SseRelaySpec());
                relay.getSpec().setReplicas(REPLICAS);
                client.resource(relay).create();
                awaitMeshed(kubelet);
                for (int i = 0; i < changes; i++) {
                    long micros = replaceOnePod(client, kubelet, i);
                    if (micros < 0) {
                        missed++;
                    } else {
                        updates.recordValue(micros);
                    }
                }
            } finally {
                operator.stop();
            }
        }
        List<Figure> figures = new ArrayList<>();
        figures.add(Figure.below("p99 until every relay's peer set is updated",
                Percentiles.millis(updates.getValueAtPercentile(99)), "ms", TARGET_P99_MS));
        figures.add(Figure.info("p50", Percentiles.millis(updates.getValueAtPercentile(50)), "ms"));
        figures.add(Figure.info("max", Percentiles.millis(updates.getMaxValue()), "ms"));
        figures.add(Figure.info("pod replacements measured", updates.getTotalCount(), ""));
        figures.add(Figure.none("replacements some relay had not learned after " + UPDATE_TIMEOUT.toSeconds() + " s",
                missed));
        String setup = String.format("An SseRelay of %d replicas run by the operator on the local control plane, a "
                + "real relay process per pod; %d times, one relay pod is deleted and its replacement gets a new IP.",
                REPLICAS, changes);
        List<String> notes = List.of(
                "Measured from the moment the replacement pod's IP is visible in the API server to the moment the "
                        + "last of the other relays lists it (and no longer the old IP); each relay's metrics are "
                        + "read over and over, about every 10 ms.",
                "With " + changes + " samples, p99 is the second-largest value or the largest.");
        return new ScenarioResult(id(), title(), setup, figures, Map.of(), notes);
    }

    /**
     * Deletes one relay pod and returns, in microseconds, how long the other relays took to learn
     * its successor; -1 when some relay had not learned it after {@link #UPDATE_TIMEOUT}.
     */
    private static long replaceOnePod(KubernetesClient client, RelayPodRunner kubelet, int round) {
        List<Pod> pods = relayPods(client);
        Pod victim = pods.get(round % pods.size());
        String oldIp = victim.getStatus().getPodIP();
        List<String> survivors = pods.stream().filter(p -> p != victim)
                .map(p -> "http://" + p.getStatus().getPodIP() + ":" + RelayDefaults.ADMIN_PORT).toList();
        List<String> before = pods.stream().map(p -> p.getMetadata().getName()).toList();
        // The simulated nodes hand a freed IP to the next pod; a finalizer keeps the old pod, and
        // so its IP, until the round is over, so that the replacement gets another address.
        // Edited on the pod as it is now, not as listed, and again on a conflict: the simulated
        // kubelet updates its status meanwhile, and an edit of an older version is refused (409).
        for (int attempt = 1; ; attempt++) {
            try {
                client.pods().inNamespace(NAMESPACE).withName(victim.getMetadata().getName()).edit(p -> {
                    p.getMetadata().getFinalizers().add(HOLD_IP);
                    return p;
                });
                break;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
        client.pods().resource(victim).delete();

        String[] newIp = new String[1];
        Await.until("a replacement pod with an IP", Duration.ofSeconds(60), () -> {
            for (Pod pod : relayPods(client)) {
                if (!before.contains(pod.getMetadata().getName()) && pod.getStatus().getPodIP() != null) {
                    newIp[0] = pod.getStatus().getPodIP();
                    return true;
                }
            }
            return false;
        });
        long ipVisible = System.nanoTime();
        if (newIp[0].equals(oldIp)) {
            throw new IllegalStateException("the replacement pod got the old pod's IP " + oldIp);
        }
        String added = "sserelay_peer_link_up{peer=\"" + newIp[0] + ":" + RelayDefaults.PEER_PORT + "\"}";
        long[] generation = new long[1];
        Await.until("the status to list the replacement as a member and " + oldIp + " as leaving",
                Duration.ofSeconds(60), () -> {
                    SseRelayStatus status = client.resources(SseRelay.class).inNamespace(NAMESPACE).withName(NAME).get()
                            .getStatus();
                    if (status == null || status.getPeersGeneration() == null || status.getPeers() == null
                            || status.getPeers().stream().noneMatch(peer -> newIp[0].equals(peer.getIp()))
                            || status.getPeers().stream().anyMatch(peer -> oldIp.equals(peer.getIp()))) {
                        return false;
                    }
                    generation[0] = status.getPeersGeneration();
                    return true;
                });
        boolean updated = Await.within(UPDATE_TIMEOUT, () -> survivors.stream().allMatch(url -> {
            String metrics = metricsOf(url);
            return metrics.contains(added) && viewGeneration(metrics) >= generation[0];
        }));
        long micros = updated ? TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - ipVisible) : -1;
        client.pods().inNamespace(NAMESPACE).withName(victim.getMetadata().getName()).edit(p -> {
            p.getMetadata().getFinalizers().remove(HOLD_IP);
            return p;
        });
        awaitMeshed(kubelet); // the next round starts from a settled cluster
        return micros;
    }

    /** The {@code sserelay_cluster_view_generation} sample of a relay's metrics, or -1. */
    private static long viewGeneration(String metrics) {
        return metrics.lines().filter(line -> line.startsWith("sserelay_cluster_view_generation "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim()))
                .findFirst().orElse(-1);
    }

    private static List<Pod> relayPods(KubernetesClient client) {
        return client.pods().inNamespace(NAMESPACE).withLabel(RelayNames.RELAY_LABEL, NAME).list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static void awaitMeshed(RelayPodRunner kubelet) {
        Await.until(REPLICAS + " relays ready with each other in their views", Duration.ofMinutes(3), () -> kubelet.meshed(REPLICAS));
    }

    private static String metricsOf(String url) {
        try {
            return Objects.requireNonNullElse(HTTP.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                    .timeout(RelayProcess.ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body(), "");
        } catch (java.io.IOException e) {
            return ""; // not listening (yet): its peer set is not updated
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
