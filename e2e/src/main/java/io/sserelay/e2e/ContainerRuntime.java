package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.sserelay.testplane.ControlPlane;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How {@link RelayPodRunner} runs a pod's container: from its image under podman
 * ({@link PodmanRuntime}, what ships), or as the relay's main class in a JVM of its own
 * ({@link JvmRuntime}, quicker, for the demo and the benchmark).
 */
public interface ContainerRuntime extends AutoCloseable {

    /**
     * Starts the first container of {@code pod}.
     *
     * @param env the container's environment as the kubelet resolved it from the pod spec
     * @param log where the container's output goes
     */
    Running start(ControlPlane plane, Pod pod, Map<String, String> env, Path log);

    /** Stops whatever this runtime started and still runs. */
    @Override
    void close();

    /** A started container. */
    interface Running {

        /**
         * Stops it as the kubelet does: SIGTERM and up to the pod's grace period to exit, then
         * SIGKILL; or SIGKILL at once when {@code forced}. Returns once it has exited.
         */
        void stop(boolean forced);

        boolean isAlive();

        /** Completes when the container has exited, for whatever reason. */
        CompletableFuture<?> exited();
    }

    /** A container that is one local process: it is alive, and has exited, when the process has. */
    abstract class ProcessRunning implements Running {

        private final Process process;

        protected ProcessRunning(Process process) {
            this.process = process;
        }

        protected final Process process() {
            return process;
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public CompletableFuture<?> exited() {
            return process.onExit();
        }
    }
}
