package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.sserelay.testplane.ControlPlane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
                "--env-file", environmentFile(log, env, api).toString(),
                "-v", plane.serviceAccountMount(pod.getMetadata().getNamespace(), pod.getSpec().getServiceAccountName())
                        + ":" + ControlPlane.SERVICE_ACCOUNT_MOUNT + ":ro"));
        long grace = Objects.requireNonNullElse(pod.getSpec().getTerminationGracePeriodSeconds(), 30L);
        command.addAll(List.of("--stop-timeout", Long.toString(grace)));
        limits(container, command);
        security(pod.getSpec().getSecurityContext(), container.getSecurityContext(), command);
        command.add(container.getImage());
        if (container.getCommand() != null) {
            command.addAll(container.getCommand());
        }
        if (container.getArgs() != null) {
            command.addAll(container.getArgs());
        }
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new Running() {
                @Override
                public void stop(boolean forced) {
                    podman(forced ? List.of("kill", "--signal", "KILL", name)
                            : List.of("stop", "--time", Long.toString(grace), name));
                    try {
                        process.waitFor(grace + 30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                @Override
                public boolean isAlive() {
                    return process.isAlive();
                }

                @Override
                public CompletableFuture<?> exited() {
                    return process.onExit();
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run podman for pod " + pod.getMetadata().getName()
                    + "; the end-to-end tests need it: scripts/install-test-deps.sh installs it", e);
        }
    }

    /**
     * The environment in a file of this user's only, not on podman's command line, where every
     * user of the machine could read the tokens in it.
     */
    private static Path environmentFile(Path log, Map<String, String> env, URI api) {
        StringBuilder text = new StringBuilder();
        env.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        text.append("KUBERNETES_SERVICE_HOST=").append(api.getHost()).append('\n');
        text.append("KUBERNETES_SERVICE_PORT=").append(api.getPort()).append('\n');
        Path file = log.resolveSibling(log.getFileName() + ".env");
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            return Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void limits(Container container, List<String> command) {
        if (container.getResources() == null || container.getResources().getLimits() == null) {
            return;
        }
        Quantity memory = container.getResources().getLimits().get("memory");
        if (memory != null) {
            command.addAll(List.of("--memory", memory.getNumericalAmount().toBigInteger() + "b"));
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

    /** Runs a podman command to its end; its failures are the runner's business, not the test's. */
    private static void podman(List<String> arguments) {
        List<String> command = new ArrayList<>(PODMAN);
        command.addAll(arguments);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run podman " + arguments, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
