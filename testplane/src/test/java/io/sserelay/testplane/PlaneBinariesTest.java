package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlaneBinariesTest {

    @TempDir
    Path kubeApiTestDir;

    @Test
    void usesProvisionedBinariesWithoutTryingToDownload() throws IOException {
        Path versionDir = versionDir();
        for (String name : new String[] {"etcd", "kube-apiserver", "kubectl"}) {
            executable(versionDir.resolve(name));
        }

        var binaries = PlaneBinaries.forMinimalPlane(Map.of("KUBE_API_TEST_DIR", kubeApiTestDir.toString()));

        assertThat(binaries.directory()).isEqualTo(versionDir);
        assertThat(binaries.kubectl()).isEqualTo(versionDir.resolve("kubectl"));
    }

    @Test
    void theFullPlaneNamesTheMissingBinaryAndTheScriptThatBuildsIt() throws IOException {
        Path versionDir = versionDir();
        for (String name : new String[] {"etcd", "kube-apiserver", "kubectl", "kube-controller-manager", "kube-scheduler"}) {
            executable(versionDir.resolve(name));
        }

        assertThatThrownBy(() -> PlaneBinaries.forFullPlane(Map.of("KUBE_API_TEST_DIR", kubeApiTestDir.toString())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("No executable kwok in " + versionDir
                        + "; the full control plane needs the binaries that scripts/provision-k8s.sh builds");
    }

    @Test
    void refusesARelativeKubeApiTestDir() {
        assertThatThrownBy(() -> PlaneBinaries.forFullPlane(Map.of("KUBE_API_TEST_DIR", "relative/dir")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("KUBE_API_TEST_DIR must be an absolute path, got 'relative/dir'");
    }

    @Test
    void pinsTheKubernetesVersionThatTheProvisioningBuildPins() throws IOException {
        // Surefire runs in the module's directory; the build module sits beside it in the repository.
        var goMod = Files.readAllLines(Path.of("..", "scripts", "k8s-build", "kubernetes", "go.mod"));

        String requirement = "(require\\s+)?k8s\\.io/kubernetes\\s+v" + PlaneBinaries.KUBERNETES_VERSION.replace(".", "\\.")
                + "(\\s.*)?";
        assertThat(goMod).anyMatch(line -> line.trim().matches(requirement));
    }

    private Path versionDir() throws IOException {
        return Files.createDirectories(PlaneBinaries.versionDirectory(kubeApiTestDir));
    }

    private static void executable(Path file) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
}
