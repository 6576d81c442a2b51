package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sserelay.testplane.ControlPlane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs a pod's container from its image with podman, as a kubelet would with what the pod spec
 * says: the image (never pulled: {@code scripts/build-images.sh} built it), the environment,
 * the ServiceAccount's token, CA and namespace at the usual path with
 * {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, the memory and CPU limits as cgroup limits,
 * a read-only root filesystem, the user, dropped capabilities and no privilege escalation, and
 * SIGTERM with the pod's grace period to stop. The one deviation: containers share the host's
 * network, and the runner binds each to its pod's loopback address, as a network namespace
 * would make it.
 *
 * <p>podman runs rootful with runc (crun refuses hosts with hybrid cgroups), with resource
 * limits no higher than this process's own, which an unprivileged container may not raise.
 */
public final class PodmanRuntime implements ContainerRuntime {

    private static final String RUN_LABEL = "io.sserelay.e2e-run";
    private static final List<String> PODMAN = List.of("podman", "--runtime", "runc");

    /** Containers of this runtime carry this label, so that {@link #close} finds every one. */
    private final String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());

    @Override
    public Running start(ControlPlane plane, Pod pod, Map<String, String> env, Path log) {
        String name = "sserelay-" + run + "-" + pod.getMetadata().getName();
        Container container = pod.getSpec().getContainers().get(0);
        URI api = plane.apiServerUrl();
        List<String> command = new ArrayList<>(PODMAN);
        // The hostname is the pod's name, as in a pod: the operator's replicas tell each other apart by it.
        command.addAll(List.of("run", "--rm", "--name", name, "--hostname", pod.getMetadata().getName(),
                "--pull=never", "--network=host",
                "--label", RUN_LABEL + "=" + run,
                "--ulimit", "nofile=16384:16384", "--ulimit", "nproc=4096:4096",
                "-v", plane.serviceAccountMount(pod.getMetadata().getNamespace(), pod.getSpec().getServiceAccountName())
                        + ":" + ControlPlane.SERVICE_ACCOUNT_MOUNT + ":ro"));
        // The environment goes by name only: podman takes each value from its own environment,
        // so no token is on a command line every user may read, and values keep their newlines
        // (a PEM key), which an --env-file cannot carry.
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("KUBERNETES_SERVICE_HOST", api.getHost());
        all.put("KUBERNETES_SERVICE_PORT", Integer.toString(api.getPort()));
        all.keySet().forEach(variable -> command.addAll(List.of("--env", variable)));
        long grace = Objects.requireNonNullElse(pod.getSpec().getTerminationGracePeriodSeconds(), 30L);
        command.addAll(List.of("--stop-timeout", Long.toString(grace)));
        limits(container, command);
        security(pod.getSpec().getSecurityContext(), container.getSecurityContext(), command);
        if (container.getCommand() != null && !container.getCommand().isEmpty()) {
            // A pod's command replaces the image's entrypoint, as podman's --entrypoint does.
            command.addAll(List.of("--entrypoint", Serialization.asJson(container.getCommand())));
        }
        command.add(container.getImage());
        if (container.getArgs() != null) {
            command.addAll(container.getArgs());
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())); // a restart keeps the crash's log
            builder.environment().putAll(all);
            Process process = builder.start();
            return new ProcessRunning(process) {
                @Override
                public void stop(boolean forced) {
                    boolean signalled = podman(forced ? List.of("kill", "--signal", "KILL", name)
                            : List.of("stop", "--time", Long.toString(grace), name));
                    try {
                        // A container not created yet (stopped right after start) cannot be
                        // signalled: remove whatever there is, and end podman's client.
                        if (!signalled || !process.waitFor(grace + 30, TimeUnit.SECONDS)) {
                            podman(List.of("rm", "-f", "--time", "0", name));
                            process.destroyForcibly();
                            process.waitFor(30, TimeUnit.SECONDS);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run podman for pod " + pod.getMetadata().getName()
                    + "; the end-to-end tests need it: scripts/install-test-deps.sh installs it", e);
        }
    }

    private static void limits(Container container, List<String> command) {
        if (container.getResources() == null || container.getResources().getLimits() == null) {
            return;
        }
        Quantity memory = container.getResources().getLimits().get("memory");
        if (memory != null) {
            String bytes = memory.getNumericalAmount().toBigInteger() + "b";
            // No swap beyond the limit, as the kubelet has it: over the limit is the OOM killer.
            command.addAll(List.of("--memory", bytes, "--memory-swap", bytes));
        }
        Quantity cpu = container.getResources().getLimits().get("cpu");
        if (cpu != null) {
            command.addAll(List.of("--cpus", cpu.getNumericalAmount().max(new BigDecimal("0.01")).toPlainString()));
        }
    }

    private static void security(PodSecurityContext pod, SecurityContext container, List<String> command) {
        Long user = container != null && container.getRunAsUser() != null ? container.getRunAsUser()
                : pod != null ? pod.getRunAsUser() : null;
        if (user != null) {
            command.addAll(List.of("--user", user.toString()));
        }
        if (container == null) {
            return;
        }
        if (Boolean.TRUE.equals(container.getReadOnlyRootFilesystem())) {
            // As Kubernetes makes it: nothing writable, not even a /tmp podman would add.
            command.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
        }
        if (Boolean.FALSE.equals(container.getAllowPrivilegeEscalation())) {
            command.addAll(List.of("--security-opt", "no-new-privileges"));
        }
        if (container.getCapabilities() != null && container.getCapabilities().getDrop() != null) {
            container.getCapabilities().getDrop().forEach(cap -> command.addAll(List.of("--cap-drop", cap)));
        }
    }

    /** Runs a podman command to its end; whether it succeeded. */
    private static boolean podman(List<String> arguments) {
        List<String> command = new ArrayList<>(PODMAN);
        command.addAll(arguments);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run podman " + arguments, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Removes every container of this runtime that is still there. */
    @Override
    public void close() {
        List<String> command = new ArrayList<>(PODMAN);
        command.addAll(List.of("ps", "-aq", "--filter", "label=" + RUN_LABEL + "=" + run));
        try {
            Process list = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> ids = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank()).toList();
            list.waitFor(60, TimeUnit.SECONDS);
            if (!ids.isEmpty()) {
                List<String> remove = new ArrayList<>(List.of("rm", "-f", "--time", "0"));
                remove.addAll(ids);
                podman(remove);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the containers of run " + run, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
