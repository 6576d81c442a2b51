package io.sserelay.testplane;

import java.util.concurrent.TimeUnit;

import java.io.InputStream;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A running test control plane: etcd and kube-apiserver as real processes bound to 127.0.0.1,
 * and whatever else a kind of plane adds. Closing it stops every process it started.
 *
 * <p>Each plane gets its own directory under {@code target/testplane/} with the logs of its
 * processes, its certificates and its kubeconfig; the logs stay after {@link #close()} for
 * diagnosis, etcd's data does not. kube-api-test provides the binaries (see
 * {@link PlaneBinaries}) but does not run them: it binds etcd to every interface, and these
 * tests bind only to loopback.
 *
 * <p>Not thread-safe: a test starts, uses and closes a plane from one thread at a time.
 */
public abstract sealed class ControlPlane implements AutoCloseable permits MinimalPlane, FullPlane {

    /**
     * Where the API server allocates Services' ClusterIPs. Nothing routes them here (no
     * kube-proxy); {@link ServiceProxy} stands in for a Service's data path on loopback.
     */
    public static final String SERVICE_CIDR = "10.96.0.0/24";

    private static final Path PLANES_DIRECTORY = Path.of("target", "testplane");
    private static final Duration ETCD_STARTUP = Duration.ofSeconds(60);
    private static final Duration API_SERVER_STARTUP = Duration.ofSeconds(120);

    private final Path directory;
    private final PlaneBinaries binaries;
    private final PlaneCredentials credentials;
    private final List<PlaneProcess> processes = new ArrayList<>();
    private Path kubeconfig;
    private KubernetesClient client;
    private List<String> apiServerArguments;
    private PlaneProcess apiServer;

    ControlPlane(String kind, PlaneBinaries binaries) {
        this.directory = newPlaneDirectory(kind);
        this.binaries = binaries;
        this.credentials = PlaneCredentials.create(directory);
    }

    /** Runs {@code start} on a new plane; if it fails, stops what it had started before rethrowing. */
    static <P extends ControlPlane> P started(P plane, Consumer<P> start) {
        try {
            start.accept(plane);
            return plane;
        } catch (RuntimeException e) {
            try {
                plane.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private static Path newPlaneDirectory(String kind) {
        try {
            Files.createDirectories(PLANES_DIRECTORY);
            return Files.createTempDirectory(PLANES_DIRECTORY, kind + "-").toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a plane directory under " + PLANES_DIRECTORY, e);
        }
    }

    /** Starts etcd, then kube-apiserver with {@code apiServerFlags} added, and waits until it serves. */
    final void startEtcdAndApiServer(List<String> apiServerFlags) {
        int etcdPort = LoopbackPorts.free();
        int etcdPeerPort = LoopbackPorts.free();
        String etcdUrl = "http://" + LoopbackPorts.ADDRESS + ":" + etcdPort;
        String etcdPeerUrl = "http://" + LoopbackPorts.ADDRESS + ":" + etcdPeerPort;
        var etcd = launch(binaries.etcd(), List.of(
                "--name=testplane",
                "--data-dir=" + etcdDataDirectory(),
                "--listen-client-urls=" + etcdUrl,
                "--advertise-client-urls=" + etcdUrl,
                "--listen-peer-urls=" + etcdPeerUrl,
                "--initial-advertise-peer-urls=" + etcdPeerUrl,
                "--initial-cluster=testplane=" + etcdPeerUrl,
                // A test's data need not survive a power cut; fsync on every write would slow each test.
                "--unsafe-no-fsync"), Map.of());
        var health = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        etcd.awaitReady("healthy", ETCD_STARTUP, () -> isEtcdHealthy(health, URI.create(etcdUrl + "/health")));

        int apiServerPort = LoopbackPorts.free();
        URI server = URI.create("https://" + LoopbackPorts.ADDRESS + ":" + apiServerPort);
        var flags = new ArrayList<>(List.of(
                "--bind-address=" + LoopbackPorts.ADDRESS,
                "--advertise-address=" + LoopbackPorts.ADDRESS,
                "--secure-port=" + apiServerPort,
                "--etcd-servers=" + etcdUrl,
                "--tls-cert-file=" + credentials.servingCertificate(),
                "--tls-private-key-file=" + credentials.servingKey(),
                "--client-ca-file=" + credentials.adminCertificate(),
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + credentials.serviceAccountCertificate(),
                "--service-account-signing-key-file=" + credentials.serviceAccountKey(),
                // Only allocated, never routed: nothing here runs kube-proxy.
                "--service-cluster-ip-range=" + SERVICE_CIDR,
                // The API server refuses a loopback address in the Endpoints of the "kubernetes"
                // Service; the tests never reach the API server through that Service.
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--profiling=false"));
        flags.addAll(apiServerFlags);
        apiServerArguments = List.copyOf(flags);
        apiServer = launch(binaries.kubeApiServer(), apiServerArguments, Map.of());

        kubeconfig = credentials.writeKubeconfig(directory.resolve("kubeconfig"), server);
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(readKubeconfig())).build();
        apiServer.awaitReady("ready", API_SERVER_STARTUP, this::isApiServerReady);
    }

    /**
     * Runs this plane's kubectl against it, in {@code directory} (for relative file arguments),
     * and returns what it printed; fails with that output when it exits with an error.
     */
    public final String kubectl(Path directory, String... arguments) {
        return run(binaries.kubectl(), directory, arguments);
    }

    /**
     * Runs helm against this plane, in {@code directory}, and returns what it printed; fails with
     * that output when it exits with an error. See {@link PlaneBinaries#helm()}.
     */
    public final String helm(Path directory, String... arguments) {
        return run(binaries.helm(), directory, arguments);
    }

    private String run(Path tool, Path directory, String... arguments) {
        String name = tool.getFileName().toString();
        List<String> command = new ArrayList<>(List.of(tool.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(arguments));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
            if (name.equals("helm")) { // its cache, configuration and data: this plane's, none of the user's
                Path home = kubeconfig.getParent().resolve("helm-home");
                builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
                builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
                builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
            }
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(name + " " + String.join(" ", arguments) + " ran over 120 s");
            }
            if (process.exitValue() != 0) {
                throw new ToolFailed(name + " " + String.join(" ", arguments) + " exited with "
                        + process.exitValue() + ":\n" + output, output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + name, e);
        }
    }

    /** kubectl or helm exited with an error; {@link #output()} is what it printed. */
    public static final class ToolFailed extends IllegalStateException {
        private final String output;

        ToolFailed(String message, String output) {
            super(message);
            this.output = output;
        }

        public String output() {
            return output;
        }
    }

    /** Applies every object in the YAML {@code file} with server-side apply, as the administrator. */
    public final List<HasMetadata> apply(Path file) {
        List<HasMetadata> objects;
        try (InputStream in = Files.newInputStream(file)) {
            objects = client.load(in).items();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
        objects.forEach(object -> client.resource(object).serverSideApply());
        return objects;
    }

    /**
     * A kubeconfig that authenticates as the ServiceAccount {@code account} with a token from
     * the TokenRequest API, as a pod's mounted token would, valid for an hour.
     */
    public final Path serviceAccountKubeconfig(String namespace, String account) {
        String token = serviceAccountToken(namespace, account);
        String yaml = String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: testplane",
                "  cluster:",
                "    server: " + client.getConfiguration().getMasterUrl(),
                "    certificate-authority: " + credentials.servingCertificate().toAbsolutePath(),
                "users:",
                "- name: " + account,
                "  user:",
                "    token: " + token,
                "contexts:",
                "- name: " + account,
                "  context:",
                "    cluster: testplane",
                "    user: " + account,
                "    namespace: " + namespace,
                "current-context: " + account,
                "");
        try {
            return Files.writeString(directory.resolve(namespace + "-" + account + ".kubeconfig"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write a kubeconfig for " + account, e);
        }
    }

    private String serviceAccountToken(String namespace, String account) {
        return client.serviceAccounts().inNamespace(namespace).withName(account)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    /**
     * What the kubelet mounts into a pod at {@value #SERVICE_ACCOUNT_MOUNT}: a token of the
     * ServiceAccount {@code account}, the API server's CA certificate and the namespace, written
     * into a new directory in the plane's, readable by every user who may enter the plane's
     * directory (the container's user is not this one).
     */
    public final Path serviceAccountMount(String namespace, String account) {
        try {
            Path mount = Files.createDirectories(directory.resolve("serviceaccount-" + namespace + "-" + account
                    + "-" + System.nanoTime()));
            Files.writeString(mount.resolve("token"), serviceAccountToken(namespace, account));
            Files.copy(credentials.servingCertificate(), mount.resolve("ca.crt"));
            Files.writeString(mount.resolve("namespace"), namespace);
            Set<PosixFilePermission> readable = PosixFilePermissions.fromString("rw-r--r--");
            for (String file : List.of("token", "ca.crt", "namespace")) {
                Files.setPosixFilePermissions(mount.resolve(file), readable);
            }
            Files.setPosixFilePermissions(mount, PosixFilePermissions.fromString("rwxr-xr-x"));
            return mount;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write a service account mount for " + account, e);
        }
    }

    /** Where pods find a service account's files. */
    public static final String SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

    /** The API server's URL, as {@code KUBERNETES_SERVICE_HOST} and {@code _PORT} give it to pods. */
    public final URI apiServerUrl() {
        return URI.create(client.getConfiguration().getMasterUrl());
    }

    /**
     * Applies the CustomResourceDefinitions in {@code file}, as a cluster administrator
     * installs them, and waits until the API server has established them.
     */
    public final void installCrd(Path file) {
        for (HasMetadata object : apply(file)) {
            client.apiextensions().v1().customResourceDefinitions().withName(object.getMetadata().getName())
                    .waitUntilCondition(crd -> crd != null && crd.getStatus() != null
                            && crd.getStatus().getConditions() != null
                            && crd.getStatus().getConditions().stream()
                                    .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())),
                            60, TimeUnit.SECONDS);
        }
    }

    /**
     * Stops kube-apiserver alone, as an outage of the control plane would, leaving etcd and
     * everything else running. {@link #startApiServer()} brings it back at the same address.
     */
    public final void stopApiServer() {
        apiServer.stop();
    }

    /** Starts kube-apiserver again after {@link #stopApiServer()} and waits until it serves. */
    public final void startApiServer() {
        apiServer = launch(binaries.kubeApiServer(), apiServerArguments, Map.of());
        apiServer.awaitReady("ready", API_SERVER_STARTUP, this::isApiServerReady);
    }

    private Path etcdDataDirectory() {
        return directory.resolve("etcd-data");
    }

    private static boolean isEtcdHealthy(HttpClient http, URI health) {
        try {
            var response = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Ready means all of /readyz's checks pass and the bootstrap controller has made "default". */
    private boolean isApiServerReady() {
        try {
            return "ok".equals(client.raw("/readyz")) && client.namespaces().withName("default").get() != null;
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    private String readKubeconfig() {
        try {
            return Files.readString(kubeconfig);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + kubeconfig, e);
        }
    }

    final PlaneProcess launch(Path binary, List<String> arguments, Map<String, String> environment) {
        var process = PlaneProcess.start(binary, arguments, environment,
                directory.resolve(binary.getFileName() + ".log"));
        processes.add(process);
        return process;
    }

    /** A client with full rights (system:masters); the plane closes it. */
    public final KubernetesClient client() {
        return client;
    }

    /** A kubeconfig file for kubectl and other processes, with full rights. */
    public final Path kubeconfig() {
        return kubeconfig;
    }

    /** This plane's directory: logs, certificates, kubeconfig. */
    public final Path directory() {
        return directory;
    }

    public final PlaneBinaries binaries() {
        return binaries;
    }

    final PlaneCredentials credentials() {
        return credentials;
    }

    /** Every process this plane started, running or not, in start order. */
    public final List<ProcessHandle> processes() {
        return processes.stream().map(PlaneProcess::handle).toList();
    }

    /** Stops every process, last started first, and deletes etcd's data; the logs stay. */
    @Override
    public final void close() {
        if (client != null) {
            client.close();
        }
        RuntimeException failure = null;
        for (int i = processes.size() - 1; i >= 0; i--) {
            try {
                processes.get(i).stop();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        deleteEtcdData();
        if (failure != null) {
            throw failure;
        }
    }

    private void deleteEtcdData() {
        Path data = etcdDataDirectory();
        if (!Files.exists(data)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(data)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + data, e);
        }
    }
}
