package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class PlaneShutdownTest {

    @Test
    void aMinimalPlaneStopsEtcdAndTheApiServerAndLeavesNoProcessBehind() {
        assertLeavesNoProcessBehind(MinimalPlane.start(), 2);
    }

    @Test
    void aFullPlaneStopsAllFiveComponentsAndLeavesNoProcessBehind() {
        assertLeavesNoProcessBehind(FullPlane.start(), 5);
    }

    private static void assertLeavesNoProcessBehind(ControlPlane plane, int components) {
        Path binaries = realPath(plane.binaries().directory());
        List<ProcessHandle> started;
        try (plane) {
            started = plane.processes();
            assertThat(started).hasSize(components).allMatch(ProcessHandle::isAlive);
            // Counting them from the process table too proves this check sees the plane's processes.
            assertThat(descendantsRunningFrom(binaries)).containsExactlyInAnyOrderElementsOf(pids(started));
        }
        assertThat(started).noneMatch(ProcessHandle::isAlive);
        assertThat(descendantsRunningFrom(binaries)).isEmpty();
    }

    /** Every process below this JVM whose executable lies in {@code directory}, started by the plane or not. */
    private static List<Long> descendantsRunningFrom(Path directory) {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.info().command().map(command -> Path.of(command).startsWith(directory)).orElse(false))
                .map(ProcessHandle::pid)
                .toList();
    }

    private static List<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).toList();
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
