package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The kubelet's probers for the pods {@link RelayPodRunner} runs. A container's
 * {@code startupProbe} (an HTTP GET of its path on its port, a named port looked up in the
 * container's ports) is sent to the pod's address until it succeeds, and then the container's
 * {@code started} flag is written; its {@code readinessProbe} is sent after that, and the outcome
 * written to the pod's {@code Ready} and {@code ContainersReady} conditions and the container's
 * {@code ready} flag when it changes after {@code successThreshold} or {@code failureThreshold}
 * probes in a row. A container that exited and is run again ({@link #restarted}) is waiting,
 * neither started nor ready, one more restart is counted, and its startup probe runs again (and
 * it is running once that succeeds); one killed for good ({@link #exited}) is terminated. The plane's
 * kwok starts probed containers neither started nor ready and leaves that alone afterwards, so
 * this is what the operator's peers and a Service's endpoints follow: a relay that is not
 * listening yet is not started, and one that has stopped or is draining (503) is not Ready.
 *
 * <p>Deviations from a kubelet: every pod is probed every {@value #PERIOD_MILLIS} ms rather
 * than every {@code periodSeconds}, so that the tests need not wait seconds per pod, and a
 * container whose startup probe keeps failing is not restarted for it.
 *
 * <p>Threads: one scheduler thread probes every pod in turn and writes the status; {@link #watch},
 * {@link #restarted} and {@link #forget} are called from any thread.
 */
final class ContainerProber implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerProber.class);
    static final long PERIOD_MILLIS = 500;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final KubernetesClient admin;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "container-prober");
        thread.setDaemon(true);
        return thread;
    });

    ContainerProber(KubernetesClient admin) {
        this.admin = admin;
        scheduler.scheduleWithFixedDelay(this::probeAll, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts probing {@code pod}, which is Running with an address, if its first container has
     * probes; a pod probed already goes on as it was (a container run again says {@link #restarted}).
     */
    void watch(Pod pod) {
        Container container = pod.getSpec().getContainers().get(0);
        Check startup = check(pod, container, container.getStartupProbe());
        Check readiness = check(pod, container, container.getReadinessProbe());
        if (startup == null && readiness == null) {
            return;
        }
        targets.putIfAbsent(pod.getMetadata().getName(), new Target(pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), container.getName(), startup, readiness));
    }

    /** The pod {@code name}'s container exited and will run again: it starts over. */
    void restarted(String name) {
        onProberThread(name, Target::restarted);
    }

    /**
     * The pod {@code name}'s container was killed and will not run again: it is terminated, and
     * its probes end once that is written.
     */
    void exited(String name) {
        onProberThread(name, Target::exited);
    }

    /** Runs {@code change} on the pod's target, if it is probed, on the thread that owns the targets' state. */
    private void onProberThread(String name, Consumer<Target> change) {
        Target target = targets.get(name);
        if (target != null) {
            try {
                scheduler.execute(() -> change.accept(target));
            } catch (RejectedExecutionException closed) {
                // the prober is closing, and the pods with it
            }
        }
    }

    /** Stops probing the pod {@code name}: it is gone. */
    void forget(String name) {
        targets.remove(name);
    }

    /** An HTTP probe of a container: where it goes, its timeout and thresholds; null for none. */
    private static Check check(Pod pod, Container container, Probe probe) {
        if (probe == null || probe.getHttpGet() == null) {
            return null;
        }
        HTTPGetAction get = probe.getHttpGet();
        URI uri = URI.create("http://" + pod.getStatus().getPodIP() + ":" + port(container, get.getPort())
                + Objects.requireNonNullElse(get.getPath(), "/"));
        return new Check(uri, Duration.ofSeconds(Objects.requireNonNullElse(probe.getTimeoutSeconds(), 1)),
                Objects.requireNonNullElse(probe.getSuccessThreshold(), 1),
                Objects.requireNonNullElse(probe.getFailureThreshold(), 3));
    }

    private record Check(URI uri, Duration timeout, int successThreshold, int failureThreshold) {
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
                target.probe();
            } catch (RuntimeException e) {
                // The schedule must go on for the other pods.
                LOG.warn("probing {} failed: {}", target.pod, e.toString());
            }
        }
    }

    private static boolean succeeds(Check check) {
        try {
            int status = HTTP.send(HttpRequest.newBuilder(check.uri()).timeout(check.timeout()).build(),
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

    /** One probed pod: its probes, and their results so far. Touched on the scheduler thread only. */
    private final class Target {

        private final String namespace;
        private final String pod;
        private final String container;
        private final Check startup;
        private final Check readiness;
        private boolean started; // kwok starts a container with a startup probe not started
        private boolean ready; // and one with a readiness probe not ready
        private int inARow;
        /** A restart to write with the next status: the container starts over. */
        private boolean restartToWrite;
        /** The container's end to write: it was killed for good. */
        private boolean exitToWrite;

        Target(String namespace, String pod, String container, Check startup, Check readiness) {
            this.namespace = namespace;
            this.pod = pod;
            this.container = container;
            this.startup = startup;
            this.readiness = readiness;
            this.started = startup == null;
        }

        void restarted() {
            started = startup == null;
            ready = false;
            inARow = 0;
            restartToWrite = true;
        }

        void exited() {
            exitToWrite = true;
            probe();
        }

        void probe() {
            if (exitToWrite) {
                // written until it is: a pod left showing a running relay would stay a peer for good
                if (write(false, false, false, new ContainerStateBuilder().withNewTerminated().withExitCode(137)
                        .withReason("Error").withFinishedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                        .endTerminated().build())) {
                    forget(pod);
                }
                return;
            }
            if (restartToWrite) {
                // waiting to run again, as a kubelet shows a container that exited, until it answers
                if (write(started, false, true, new ContainerStateBuilder().withNewWaiting()
                        .withReason("ContainerRestarting").endWaiting().build())) {
                    restartToWrite = false;
                }
                return;
            }
            if (!started) {
                // A kubelet runs the other probes only once the startup probe has succeeded.
                if (succeeds(startup) && write(true, ready, false, new ContainerStateBuilder().withNewRunning()
                        .withStartedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endRunning().build())) {
                    started = true;
                }
                return;
            }
            if (readiness == null) {
                return;
            }
            boolean success = succeeds(readiness);
            if (success == ready) {
                inARow = 0;
                return;
            }
            inARow++;
            if (inARow >= (success ? readiness.successThreshold() : readiness.failureThreshold())) {
                inARow = 0;
                if (write(started, success, false, null)) {
                    ready = success;
                }
            }
        }

        /**
         * Writes the container's flags, and its state unless {@code state} is null; false when the
         * pod is gone or the write failed (the next probe tries again).
         */
        private boolean write(boolean nowStarted, boolean nowReady, boolean restart, ContainerState state) {
            var resource = admin.pods().inNamespace(namespace).withName(pod);
            try {
                Pod current = resource.get();
                if (current == null || current.getStatus() == null) {
                    forget(pod);
                    return false;
                }
                String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
                List<ContainerStatus> containers = new ArrayList<>(Objects.requireNonNullElse(
                        current.getStatus().getContainerStatuses(), List.of()));
                containers.replaceAll(c -> !container.equals(c.getName()) ? c : c.toBuilder().withStarted(nowStarted)
                        .withReady(nowReady)
                        .withRestartCount(Objects.requireNonNullElse(c.getRestartCount(), 0) + (restart ? 1 : 0))
                        .withState(state == null ? c.getState() : state)
                        .build());
                // containerStatuses is replaced as a whole by a strategic merge patch, conditions are merged by type.
                String patch = Serialization.asJson(Map.of("status", Map.of(
                        "conditions", List.of(condition("ContainersReady", nowReady, now), condition("Ready", nowReady, now)),
                        "containerStatuses", containers)));
                resource.subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
                LOG.info("pod {}/{}: {}{}, {}{}", namespace, pod, restart ? "restarted, " : "",
                        nowStarted ? "started" : "not started", nowReady ? "ready" : "not ready",
                        state == null ? "" : ", " + Serialization.asJson(state));
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    forget(pod);
                } else {
                    LOG.warn("cannot write the state of pod {}/{}: {}", namespace, pod, e.getMessage());
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
