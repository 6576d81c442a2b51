package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.testplane.ControlPlane;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kubelet's part for our pods on a plane whose nodes are simulated: for each pod that is
 * Running with an address, its container run by a {@link ContainerRuntime}: from its image
 * under podman, or the relay's main class in a JVM. Each gets the environment its pod spec
 * gives it (values, downward API, Secret keys, {@code $(VAR)}) and its ServiceAccount's
 * token. A pod deleted gracefully runs its {@code preStop} pause first, as a kubelet does, while
 * the Service has already taken it out of its endpoints, then gets SIGTERM, and is removed from
 * the API server once its container has exited; one deleted with a grace period of 0, or
 * {@link #kill killed}, gets SIGKILL at once. A pod's container is started once its startup probe
 * succeeds and Ready while its readiness probe does ({@link ContainerProber}), so a pod is a peer
 * only once its relay answers, and a container that exits starts over. The one deviation from a
 * pod: the process binds the pod's address instead of 0.0.0.0, as a network namespace would
 * make it.
 *
 * <p>Threads: fabric8's informer thread starts containers and kills forced ones; a scheduler
 * thread times the preStop pauses and retries; a thread per stopping pod stops its container and
 * removes the pod; the prober has its own thread.
 */
public final class RelayPodRunner implements AutoCloseable {

    /** The operator's container in config/manager; it binds its health port instead of a relay's ports. */
    private static final String OPERATOR_CONTAINER = "operator";
    private static final Logger LOG = LoggerFactory.getLogger(RelayPodRunner.class);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final ControlPlane plane;
    private final KubernetesClient admin;
    private final Path directory;
    private final ContainerRuntime runtime;
    private final Map<String, RunningRelay> relays = new ConcurrentHashMap<>();
    private final Map<String, Boolean> killed = new ConcurrentHashMap<>();
    /** Pods whose deletion was seen: their container is stopping or has stopped. */
    private final Set<String> terminating = ConcurrentHashMap.newKeySet();
    /** Stops containers of deleted pods, each in its own time, off the informer's thread. */
    private final ExecutorService stoppers = Executors.newCachedThreadPool();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();
    private final ContainerProber prober;
    private final SharedIndexInformer<Pod> informer;

    /** A pod's running container and the address it serves on. */
    public record RunningRelay(ContainerRuntime.Running container, String ip) {

        /** The relay's public base URL, e.g. {@code http://127.0.1.3:8080}. */
        public String url() {
            return "http://" + ip + ":" + RelayDefaults.HTTP_PORT;
        }

        /** The relay's admin base URL ({@code /metrics}), e.g. {@code http://127.0.1.3:9090}. */
        public String adminUrl() {
            return "http://" + ip + ":" + RelayDefaults.ADMIN_PORT;
        }
    }

    /** Runs the relay pods of {@code namespace} in JVMs, their logs in a new temporary directory. */
    public RelayPodRunner(ControlPlane plane, String namespace) {
        this(plane, namespace, temporaryDirectory(), new JvmRuntime(), RelayNames.RELAY_LABEL);
    }

    /**
     * Runs the pods of {@code namespace} that carry the label {@code label} with {@code runtime},
     * writing each one's output to {@code logDirectory}/&lt;pod&gt;.log; the runtime is closed with
     * the runner.
     */
    public RelayPodRunner(ControlPlane plane, String namespace, Path logDirectory, ContainerRuntime runtime,
            String label) {
        this.plane = plane;
        this.runtime = runtime;
        this.admin = plane.client();
        this.directory = logDirectory;
        try {
            Files.createDirectories(logDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + logDirectory, e);
        }
        this.prober = new ContainerProber(admin);
        this.informer = admin.pods().inNamespace(namespace).withLabel(label)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        sync(pod);
                    }

                    @Override
                    public void onUpdate(Pod before, Pod pod) {
                        sync(pod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean unknownState) {
                        prober.forget(pod.getMetadata().getName());
                        terminate(pod);
                    }
                });
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("sse-relay-pods");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The running relays, by pod name. */
    public Map<String, RunningRelay> relays() {
        return Map.copyOf(relays);
    }

    /** Whether exactly {@code replicas} relays run, each ready with all the others in its view. */
    public boolean meshed(int replicas) {
        Map<String, RunningRelay> running = relays();
        return running.size() == replicas
                && running.values().stream().allMatch(r -> RelayHttp.meshedWith(r.adminUrl(), replicas - 1));
    }

    /** Where each relay process writes its output, one file per pod. */
    public Path logDirectory() {
        return directory;
    }

    /**
     * Kills the relay of {@code pod} with SIGKILL, as a crash would, and does not run it again, as a
     * kubelet in a long crash back-off would not: the pod itself stays, not Ready, its container
     * terminated.
     */
    public void kill(String pod) {
        killed.put(pod, true);
        stop(pod, true);
        prober.exited(pod);
    }

    private synchronized void sync(Pod pod) {
        try {
            syncOrThrow(pod);
        } catch (RuntimeException e) {
            // fabric8's informer would swallow it; a pod that never starts must say why.
            LOG.error("cannot run pod {}/{}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e);
            throw e;
        }
    }

    private void syncOrThrow(Pod pod) {
        String name = pod.getMetadata().getName();
        boolean running = pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getPodIP() != null;
        if (running && !relays.containsKey(name) && !killed.containsKey(name)) {
            try {
                RunningRelay started = start(pod);
                relays.put(name, started);
                restartWhenItExits(pod, started);
                prober.watch(pod);
            } catch (SecretNotYetThere e) {
                // As a kubelet does: wait for the Secret, then start the container.
                retries.schedule(() -> {
                    Pod current = informer.getStore().getByKey(pod.getMetadata().getNamespace() + "/" + name);
                    if (current != null) {
                        sync(current);
                    }
                }, 200, TimeUnit.MILLISECONDS);
            }
        } else if (pod.getMetadata().getDeletionTimestamp() != null) {
            terminate(pod);
        } else if (!running) {
            stop(name, isForced(pod)); // not started yet, or ended: nothing to remove
        }
    }

    /**
     * The kubelet's part when a pod ends, decided by the first event that shows the deletion: a
     * forced deletion (grace period 0) stops the container at once; a graceful one runs the
     * container's {@code preStop} sleep first (the container keeps serving the connections it
     * has, while the Service already sends it no new ones), then sends SIGTERM and waits for the
     * container to exit. Then, as a kubelet does, it removes the pod from the API server, which
     * frees its address: until then no new pod can be given it.
     */
    private void terminate(Pod pod) {
        String name = pod.getMetadata().getName();
        if (!terminating.add(name)) {
            return;
        }
        if (isForced(pod)) {
            stop(name, true);
            return;
        }
        long pause = relays.containsKey(name) ? preStopSleepSeconds(pod) : 0;
        try {
            retries.schedule(() -> stoppers.execute(() -> {
                stop(name, false);
                remove(pod);
            }), pause, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // the runner is closing, and stops every container itself
        }
    }

    /** Deletes a pod whose container has stopped, with a grace period of 0, as the kubelet does. */
    private void remove(Pod pod) {
        try {
            admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            LOG.warn("cannot remove the stopped pod {}/{}: {}", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** The {@code preStop} sleep of the pod's first container, 0 when it has none. */
    private static long preStopSleepSeconds(Pod pod) {
        Container container = pod.getSpec().getContainers().get(0);
        if (container.getLifecycle() == null || container.getLifecycle().getPreStop() == null
                || container.getLifecycle().getPreStop().getSleep() == null) {
            return 0;
        }
        Long seconds = container.getLifecycle().getPreStop().getSleep().getSeconds();
        return seconds == null ? 0 : seconds;
    }

    /**
     * A container that exits by itself (the operator when it loses its Lease, a relay on
     * OutOfMemoryError) is started again while its pod runs, as the kubelet restarts it under
     * restartPolicy Always; after 1 s rather than the kubelet's back-off from 10 s, so tests do
     * not wait. One this runner stopped or killed is not.
     */
    private void restartWhenItExits(Pod pod, RunningRelay started) {
        String name = pod.getMetadata().getName();
        started.container().exited().thenRun(() -> {
            if (relays.remove(name, started)) {
                LOG.warn("the container of pod {}/{} exited; starting it again in 1 s", pod.getMetadata().getNamespace(),
                        name);
                try {
                    prober.restarted(name);
                    retries.schedule(() -> {
                        Pod current = informer.getStore().getByKey(pod.getMetadata().getNamespace() + "/" + name);
                        if (current != null) {
                            sync(current);
                        }
                    }, 1, TimeUnit.SECONDS);
                } catch (RejectedExecutionException e) {
                    // the runner is closing
                }
            }
        });
    }

    private static boolean isForced(Pod pod) {
        Long grace = pod.getMetadata().getDeletionGracePeriodSeconds();
        return grace != null && grace == 0;
    }

    private RunningRelay start(Pod pod) {
        Map<String, String> env = environment(pod);
        String ip = pod.getStatus().getPodIP();
        if (OPERATOR_CONTAINER.equals(pod.getSpec().getContainers().get(0).getName())) {
            env.put("SSERELAY_HEALTH_ADDRESS", ip);
        } else {
            env.put("RELAY_BIND_ADDRESS", ip);
            env.put("RELAY_DRAIN_TIMEOUT", "2s");
        }
        Path log = directory.resolve(pod.getMetadata().getName() + ".log");
        return new RunningRelay(runtime.start(plane, pod, env, log), ip);
    }

    private void stop(String pod, boolean forced) {
        RunningRelay relay = relays.remove(pod);
        if (relay != null) {
            relay.container().stop(forced);
        }
    }

    /** The container's environment as the kubelet would resolve it. */
    private Map<String, String> environment(Pod pod) {
        Container container = pod.getSpec().getContainers().get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            String value;
            if (var.getValueFrom() == null) {
                // The API server leaves an empty value out (omitempty): it reads back as null.
                value = expand(Objects.requireNonNullElse(var.getValue(), ""), env);
            } else if (var.getValueFrom().getFieldRef() != null) {
                value = switch (var.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.name" -> pod.getMetadata().getName();
                    case "metadata.namespace" -> pod.getMetadata().getNamespace();
                    case "status.podIP" -> pod.getStatus().getPodIP();
                    default -> throw new IllegalStateException("unexpected field " + var.getValueFrom().getFieldRef());
                };
            } else {
                var ref = var.getValueFrom().getSecretKeyRef();
                Secret secret = admin.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(ref.getName()).get();
                if (secret == null || secret.getData() == null || !secret.getData().containsKey(ref.getKey())) {
                    throw new SecretNotYetThere();
                }
                value = new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    private static String expand(String value, Map<String, String> env) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group(0))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static final class SecretNotYetThere extends RuntimeException {
        SecretNotYetThere() {
            super(null, null, false, false);
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        stoppers.shutdownNow();
        prober.close();
        informer.close();
        relays.keySet().forEach(pod -> stop(pod, false));
        runtime.close();
    }
}
