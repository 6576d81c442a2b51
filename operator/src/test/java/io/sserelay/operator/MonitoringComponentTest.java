package io.sserelay.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.dependent.DeploymentDependent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * config/monitoring, checked with the tools Prometheus publishes: every alert's expression and
 * templates parse ({@code promtool check rules}), each alert fires on what it is for and not on a
 * healthy relay ({@code promtool test rules}), every query of the dashboard parses, and the
 * PodMonitor scrapes the port and labels the operator gives relay pods, and both objects match
 * the Prometheus Operator's API schemas (as published in {@code @kubernetes-models/prometheus-operator}),
 * and the dashboard type-checks against the {@code Dashboard} type Grafana publishes in
 * {@code @grafana/schema}.
 * Applying them to an API server would need the Prometheus Operator's CRDs, which are not to be
 * had here.
 */
class MonitoringComponentTest {

    private static final Path COMPONENT = Path.of("..", "config", "monitoring");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        promtool = Stream.of(System.getenv("PATH").split(":")).map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("promtool is not on the PATH; scripts/install-test-deps.sh"
                        + " installs it (from Debian's package prometheus)"));
    }

    private static String promtool(Path directory, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        assertThat(process.exitValue()).as("promtool " + String.join(" ", arguments) + ":\n" + output).isZero();
        return output;
    }

    private static JsonNode ruleGroups() throws IOException {
        JsonNode rule = YAML.readTree(COMPONENT.resolve("prometheus-rule.yaml").toFile());
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        return rule.path("spec");
    }

    @Test
    void theAlertsParseAndFireOnWhatTheyAreFor(@TempDir Path work) throws Exception {
        JsonNode groups = ruleGroups();
        YAML.writeValue(work.resolve("rules.yaml").toFile(), groups);
        assertThat(promtool(work, "check", "rules", "rules.yaml")).contains("SUCCESS: 7 rules found");
        List<String> alerts = new ArrayList<>();
        groups.path("groups").forEach(group -> group.path("rules").forEach(rule -> alerts.add(rule.path("alert").asText())));
        assertThat(alerts).containsExactly("SseRelayDown", "SseRelayNotReady", "SseRelayPeerLinkDown",
                "SseRelaySubscribersCutOffAsSlow", "SseRelayResets", "SseRelayPublishesUnconfirmed",
                "SseRelayRefusingSubscribers");

        // The unit tests compare labels; the annotations' texts were parsed above.
        JsonNode bare = groups.deepCopy();
        bare.path("groups").forEach(group -> group.path("rules").forEach(rule -> ((ObjectNode) rule).remove("annotations")));
        Path tests = work.resolve("tests");
        Files.createDirectories(tests);
        YAML.writeValue(tests.resolve("rules.yaml").toFile(), bare);
        Files.copy(Path.of("src", "test", "resources", "monitoring", "alerts-test.yaml"), tests.resolve("alerts-test.yaml"));
        assertThat(promtool(tests, "test", "rules", "alerts-test.yaml")).contains("SUCCESS");
        String tested = Files.readString(tests.resolve("alerts-test.yaml"));
        assertThat(alerts).allSatisfy(alert -> assertThat(tested).contains("alertname: " + alert));
    }

    @Test
    void thePodMonitorAndTheRulesMatchThePrometheusOperatorsSchemas() throws Exception {
        Path validator = Path.of("..", "scripts", "validate-monitoring");
        assertThat(validator.resolve("node_modules")).as("scripts/install-test-deps.sh installs the validator's"
                + " node modules (npm ci)").isDirectory();
        Process node = new ProcessBuilder("node", "validate.mjs", "../../config/monitoring/pod-monitor.yaml",
                "../../config/monitoring/prometheus-rule.yaml").directory(validator.toFile())
                .redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        assertThat(output).contains("valid PodMonitor sse-relay", "valid PrometheusRule sse-relay");
    }

    @Test
    void theDashboardTypeChecksAgainstGrafanasPublishedSchema() throws Exception {
        Path validator = Path.of("..", "scripts", "validate-monitoring");
        Process node = new ProcessBuilder("node", "validate-dashboard.mjs", "../../config/monitoring/dashboard.json")
                .directory(validator.toFile()).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        assertThat(output).contains("valid Dashboard sse-relay");
    }

    @Test
    void everyQueryOfTheDashboardParses(@TempDir Path work) throws Exception {
        JsonNode dashboard = JSON.readTree(COMPONENT.resolve("dashboard.json").toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("sse-relay");
        ArrayNode rules = JSON.createArrayNode();
        int[] n = {0};
        dashboard.path("panels").forEach(panel -> {
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            panel.path("targets").forEach(target -> rules.addObject()
                    .put("record", "dashboard:query" + n[0]++)
                    .put("expr", grafanaVariables(target.path("expr").asText())));
        });
        assertThat(n[0]).isGreaterThanOrEqualTo(12);
        ObjectNode file = JSON.createObjectNode();
        file.putArray("groups").addObject().put("name", "dashboard").set("rules", rules);
        YAML.writeValue(work.resolve("dashboard-rules.yaml").toFile(), file);
        assertThat(promtool(work, "check", "rules", "dashboard-rules.yaml")).contains("SUCCESS: " + n[0] + " rules found");
    }

    /** What Grafana puts in for its variables before the query reaches Prometheus. */
    private static String grafanaVariables(String expr) {
        return expr.replace("$__rate_interval", "5m").replace("$namespace", ".*").replace("$sserelay", ".*");
    }

    @Test
    void thePodMonitorScrapesTheAdminPortOfThePodsTheOperatorRuns() throws IOException {
        JsonNode monitor = YAML.readTree(COMPONENT.resolve("pod-monitor.yaml").toFile());
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
        JsonNode endpoint = monitor.path("spec").path("podMetricsEndpoints").get(0);
        assertThat(endpoint.path("port").asText()).isEqualTo("admin");
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");

        assertThat(endpoint.path("port").asText()).isEqualTo(DeploymentDependent.ADMIN_PORT_NAME);
        SseRelay relay = SseRelayOperatorTest.relay("news", 2);
        Map<String, String> selector = YAML.convertValue(monitor.path("spec").path("selector").path("matchLabels"),
                YAML.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        assertThat(RelayNames.labels(relay)).containsAllEntriesOf(selector);
    }
}
