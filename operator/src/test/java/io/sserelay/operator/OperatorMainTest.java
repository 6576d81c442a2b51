package io.sserelay.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sserelay.operator.config.OperatorConfig;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The operator as it is deployed: its main class in its own JVM, configured by environment. */
class OperatorMainTest {

    private static final Pattern PORT = Pattern.compile("health and metrics on port (\\d+)");

    @Test
    void takesTheLeaseServesHealthAndMetricsAndStopsOnSigterm() throws Exception {
        OperatorTestPlane.plane();
        // As deployed: the operator's ServiceAccount, its Lease in its own namespace. The
        // kubeconfig really is restricted: the operator may not even list namespaces.
        try (KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(
                Files.readString(OperatorTestPlane.operatorKubeconfig()))).build()) {
            assertThatThrownBy(() -> asOperator.namespaces().list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        }
        Process process = start(Map.of("KUBECONFIG", OperatorTestPlane.operatorKubeconfig().toString(),
                "SSERELAY_LEASE_NAMESPACE", OperatorTestPlane.OPERATOR_NAMESPACE, "SSERELAY_HEALTH_ADDRESS", "127.0.0.1",
                "SSERELAY_HEALTH_PORT", "0", "SSERELAY_WATCH_NAMESPACES", "default"));
        List<String> output = readLines(process);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> port(output) > 0 || !process.isAlive());
            int port = port(output);
            assertThat(port).as("operator output:%n%s", String.join("\n", output)).isPositive();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/readyz").statusCode() == 200);
            assertThat(get(port, "/healthz").body()).isEqualTo("{\"status\":\"ok\"}");
            assertThat(get(port, "/metrics").body()).contains("jvm_memory_used_bytes");
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                Lease lease = OperatorTestPlane.adminClient().leases().inNamespace(OperatorTestPlane.OPERATOR_NAMESPACE)
                        .withName(OperatorConfig.LEASE_NAME).get();
                return lease != null && lease.getSpec().getHolderIdentity() != null;
            });
        } finally {
            process.toHandle().destroy(); // SIGTERM
        }
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
    }

    @Test
    void refusesAnInvalidConfigurationNamingEveryProblem() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of(
                "SSERELAY_WATCH_NAMESPACES", "good,Not_Good",
                "SSERELAY_LEADER_ELECTION", "maybe",
                "SSERELAY_HEALTH_PORT", "http")))
                .hasMessage("SSERELAY_WATCH_NAMESPACES: 'Not_Good' is not a namespace name\n"
                        + "SSERELAY_LEADER_ELECTION='maybe' must be true or false\n"
                        + "SSERELAY_HEALTH_PORT='http' is not a whole number");
        OperatorConfig defaults = OperatorConfig.fromEnvironment(Map.of());
        assertThat(defaults.namespaces()).isEmpty();
        assertThat(defaults.leaderElection()).isTrue();
        assertThat(defaults.healthPort()).isEqualTo(8081);
        assertThat(defaults.relayImage()).startsWith("sserelay/relay:");
    }

    private static Process start(Map<String, String> env) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                OperatorMain.class.getName()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SSERELAY_"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private static List<String> readLines(Process process) {
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "operator-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static int port(List<String> output) {
        for (String line : output) {
            Matcher m = PORT.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return 0;
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
