package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's readiness prober for the pods {@link RelayPodRunner} runs: it sends the
 * container's {@code readinessProbe} (an HTTP GET of its path on its port, a named port looked
 * up in the container's ports) to the pod's address and writes the outcome to the pod's
 * status, the {@code Ready} and {@code ContainersReady} conditions and the container's
 * {@code ready} flag, when it changes after {@code successThreshold} or
 * {@code failureThreshold} probes in a row. The plane's kwok starts such pods not Ready and
 * leaves their readiness alone afterwards, so this is what a Service's endpoints follow: a
 * relay that is not listening yet, has stopped, or is draining (503) is not Ready.
 *
 * <p>One deviation from a kubelet: every pod is probed every {@value #PERIOD_MILLIS} ms rather
 * than every {@code periodSeconds}, so that the tests need not wait seconds per pod.
 *
 * <p>Threads: one scheduler thread probes every pod in turn and writes the status; {@link #watch}
 * and {@link #forget} are called from any thread.
 */
final class ReadinessProber implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReadinessProber.class);
    static final long PERIOD_MILLIS = 500;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final KubernetesClient admin;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "readiness-prober");
        thread.setDaemon(true);
        return thread;
    });

    ReadinessProber(KubernetesClient admin) {
        this.admin = admin;
        scheduler.scheduleWithFixedDelay(this::probeAll, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts probing {@code pod}, which is Running with an address, if its first container has a readiness probe. */
    void watch(Pod pod) {
        Container container = pod.getSpec().getContainers().get(0);
        Probe probe = container.getReadinessProbe();
        if (probe == null || probe.getHttpGet() == null) {
            return;
        }
        HTTPGetAction get = probe.getHttpGet();
        URI uri = URI.create("http://" + pod.getStatus().getPodIP() + ":" + port(container, get.getPort())
                + Objects.requireNonNullElse(get.getPath(), "/"));
        targets.put(pod.getMetadata().getName(), new Target(pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), container.getName(), uri,
                Duration.ofSeconds(Objects.requireNonNullElse(probe.getTimeoutSeconds(), 1)),
                Objects.requireNonNullElse(probe.getSuccessThreshold(), 1),
                Objects.requireNonNullElse(probe.getFailureThreshold(), 3)));
    }

    /** Stops probing the pod {@code name}: it is gone. */
    void forget(String name) {
        targets.remove(name);
    }

    private static int port(Container container, IntOrString port) {
        if (port.getStrVal() == null) {
            return port.getIntVal();
        }
        return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).findFirst()
                .orElseThrow(() -> new IllegalStateException("container " + container.getName()
                        + " has no port named " + port.getStrVal()))
                .getContainerPort();
    }

    private void probeAll() {
        for (Target target : targets.values()) {
            try {
                target.record(succeeds(target));
            } catch (RuntimeException e) {
                // The schedule must go on for the other pods.
                LOG.warn("probing {} failed: {}", target.pod, e.toString());
            }
        }
    }

    private static boolean succeeds(Target target) {
        try {
            int status = HTTP.send(HttpRequest.newBuilder(target.uri).timeout(target.timeout).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 400; // the kubelet's rule for HTTP probes
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One probed pod: where to probe it, the thresholds, and the results in a row so far. */
    private final class Target {

        private final String namespace;
        private final String pod;
        private final String container;
        private final URI uri;
        private final Duration timeout;
        private final int successThreshold;
        private final int failureThreshold;
        private boolean ready; // kwok starts a probed pod not Ready
        private int inARow;

        Target(String namespace, String pod, String container, URI uri, Duration timeout, int successThreshold,
                int failureThreshold) {
            this.namespace = namespace;
            this.pod = pod;
            this.container = container;
            this.uri = uri;
            this.timeout = timeout;
            this.successThreshold = successThreshold;
            this.failureThreshold = failureThreshold;
        }

        void record(boolean success) {
            if (success == ready) {
                inARow = 0;
                return;
            }
            inARow++;
            if (inARow >= (success ? successThreshold : failureThreshold)) {
                inARow = 0;
                if (write(success)) {
                    ready = success;
                }
            }
        }

        /** Writes the pod's readiness; false when the pod is gone or the write failed (the next probe tries again). */
        private boolean write(boolean nowReady) {
            var resource = admin.pods().inNamespace(namespace).withName(pod);
            try {
                Pod current = resource.get();
                if (current == null || current.getStatus() == null) {
                    forget(pod);
                    return false;
                }
                String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
                List<ContainerStatus> containers = new ArrayList<>(current.getStatus().getContainerStatuses());
                containers.replaceAll(c -> container.equals(c.getName()) ? c.toBuilder().withReady(nowReady).build() : c);
                // containerStatuses is replaced as a whole by a strategic merge patch, conditions are merged by type.
                String patch = Serialization.asJson(Map.of("status", Map.of(
                        "conditions", List.of(condition("ContainersReady", nowReady, now), condition("Ready", nowReady, now)),
                        "containerStatuses", containers)));
                resource.subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
                LOG.info("pod {}/{} {}: GET {} {}", namespace, pod, nowReady ? "ready" : "not ready", uri,
                        nowReady ? "succeeded" : "failed");
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    forget(pod);
                } else {
                    LOG.warn("cannot write the readiness of pod {}/{}: {}", namespace, pod, e.getMessage());
                }
                return false;
            }
        }

        /** A condition for the patch; a reason and message left from before are removed (null) when ready. */
        private Map<String, String> condition(String type, boolean nowReady, String now) {
            Map<String, String> condition = new LinkedHashMap<>();
            condition.put("type", type);
            condition.put("status", nowReady ? "True" : "False");
            condition.put("lastTransitionTime", now);
            condition.put("reason", nowReady ? null : "ContainersNotReady");
            condition.put("message", nowReady ? null : "containers with unready status: [" + container + "]");
            return condition;
        }
    }
}
