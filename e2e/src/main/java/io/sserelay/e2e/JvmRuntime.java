package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.sserelay.relay.RelayMain;
import io.sserelay.testplane.ControlPlane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a relay pod as {@link RelayMain} in a JVM of its own, from this JVM's classpath, with a
 * kubeconfig holding a token of the pod's ServiceAccount as a pod's mounted token would. Relay
 * pods only; small heaps, so that a cluster of them fits a small machine.
 */
public final class JvmRuntime implements ContainerRuntime {

    @Override
    public Running start(ControlPlane plane, Pod pod, Map<String, String> env, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx160m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), RelayMain.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())); // a restart keeps the crash's log
        builder.environment().keySet().removeIf(name -> name.startsWith("RELAY_") || name.equals("KUBECONFIG")
                || name.equals("JDK_JAVA_OPTIONS"));
        builder.environment().putAll(env);
        builder.environment().remove("JDK_JAVA_OPTIONS"); // sized above for this machine instead
        builder.environment().put("KUBECONFIG", plane.serviceAccountKubeconfig(pod.getMetadata().getNamespace(),
                pod.getSpec().getServiceAccountName()).toString());
        try {
            Process process = builder.start();
            return new ProcessRunning(process) {
                @Override
                public void stop(boolean forced) {
                    if (forced) {
                        process.destroyForcibly();
                    } else {
                        process.toHandle().destroy(); // SIGTERM, as the kubelet sends
                    }
                    try {
                        process.waitFor(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a relay for pod " + pod.getMetadata().getName(), e);
        }
    }

    @Override
    public void close() {
        // Each relay is stopped by the runner.
    }
}
