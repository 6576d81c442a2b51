package io.sserelay.testplane;

import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubeapitest.KubeAPITestException;
import io.fabric8.kubeapitest.Utils;
import io.fabric8.kubeapitest.binary.BinaryManager;
import io.fabric8.kubeapitest.binary.OSInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the control plane's binaries are: the directory fabric8 kube-api-test uses for one
 * Kubernetes version, {@code $KUBE_API_TEST_DIR/k8s/<version>-<os>-<arch>} (default
 * {@code ~/.kubeapitest}). {@code scripts/provision-k8s.sh} builds all six binaries into it; on
 * a machine with internet and without that build, kube-api-test downloads etcd, kube-apiserver
 * and kubectl there itself, which is enough for a {@link MinimalPlane}.
 */
public record PlaneBinaries(Path directory) {

    /** The Kubernetes version the tests run against; scripts/k8s-build/kubernetes/go.mod pins the same. */
    public static final String KUBERNETES_VERSION = "1.34.4";

    static final String ETCD = "etcd";
    static final String KUBE_APISERVER = "kube-apiserver";
    static final String KUBECTL = "kubectl";
    static final String KUBE_CONTROLLER_MANAGER = "kube-controller-manager";
    static final String KUBE_SCHEDULER = "kube-scheduler";
    static final String KWOK = "kwok";

    /**
     * Finds etcd, kube-apiserver and kubectl, letting kube-api-test download them when they have
     * not been provisioned.
     */
    public static PlaneBinaries forMinimalPlane() {
        return forMinimalPlane(System.getenv());
    }

    static PlaneBinaries forMinimalPlane(Map<String, String> environment) {
        Path testDir = kubeApiTestDir(environment);
        Path directory = versionDirectory(testDir);
        boolean provisioned = Files.isExecutable(directory.resolve(ETCD))
                && Files.isExecutable(directory.resolve(KUBE_APISERVER))
                && Files.isExecutable(directory.resolve(KUBECTL));
        // Every setting is given explicitly: kube-api-test 7.x casts its boolean and integer
        // environment variables from String and throws. Offline when the binaries are here, so a
        // provisioned machine never touches the network; otherwise kube-api-test downloads them.
        var config = KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir.toString())
                .withApiServerVersion(KUBERNETES_VERSION)
                .withOfflineMode(provisioned)
                .withUpdateKubeConfig(false)
                .withWaitForEtcdHealthCheckOnStartup(false)
                .withStartupTimeout(60_000)
                .build();
        try {
            new BinaryManager(config).initAndDownloadIfRequired();
        } catch (KubeAPITestException e) {
            throw new IllegalStateException("No Kubernetes " + KUBERNETES_VERSION + " binaries in " + directory
                    + " and kube-api-test could not download them (" + e.getMessage()
                    + "); run scripts/provision-k8s.sh to build them offline", e);
        }
        return new PlaneBinaries(directory);
    }

    /** Finds all six binaries, which only scripts/provision-k8s.sh provides. */
    public static PlaneBinaries forFullPlane() {
        return forFullPlane(System.getenv());
    }

    static PlaneBinaries forFullPlane(Map<String, String> environment) {
        Path directory = versionDirectory(kubeApiTestDir(environment));
        for (String name : new String[] {ETCD, KUBE_APISERVER, KUBECTL, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, KWOK}) {
            if (!Files.isExecutable(directory.resolve(name))) {
                throw new IllegalStateException("No executable " + name + " in " + directory
                        + "; the full control plane needs the binaries that scripts/provision-k8s.sh builds");
            }
        }
        return new PlaneBinaries(directory);
    }

    private static Path kubeApiTestDir(Map<String, String> environment) {
        String configured = environment.get(KubeAPIServerConfigBuilder.KUBE_API_TEST_DIR);
        if (configured == null || configured.isBlank()) {
            return Path.of(System.getProperty("user.home"), KubeAPIServerConfigBuilder.DIRECTORY_NAME);
        }
        Path path = Path.of(configured);
        if (!path.isAbsolute()) {
            throw new IllegalStateException(KubeAPIServerConfigBuilder.KUBE_API_TEST_DIR
                    + " must be an absolute path, got '" + configured + "'");
        }
        return path;
    }

    static Path versionDirectory(Path kubeApiTestDir) {
        return kubeApiTestDir.resolve(BinaryManager.BINARY_LIST_DIR).resolve(KUBERNETES_VERSION + Utils.platformSuffix(new OSInfo()));
    }

    Path etcd() {
        return directory.resolve(ETCD);
    }

    Path kubeApiServer() {
        return directory.resolve(KUBE_APISERVER);
    }

    /** kubectl of the same version as the API server, for tests that run it for real. */
    public Path kubectl() {
        return directory.resolve(KUBECTL);
    }

    /** helm, which scripts/provision-k8s.sh builds beside the plane's binaries, for the chart's tests. */
    public Path helm() {
        Path helm = directory.resolve("helm");
        if (!Files.isExecutable(helm)) {
            throw new IllegalStateException("No executable helm in " + directory
                    + "; the chart's tests need the helm that scripts/provision-k8s.sh builds");
        }
        return helm;
    }

    Path kubeControllerManager() {
        return directory.resolve(KUBE_CONTROLLER_MANAGER);
    }

    Path kubeScheduler() {
        return directory.resolve(KUBE_SCHEDULER);
    }

    Path kwok() {
        return directory.resolve(KWOK);
    }
}
