package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Service stand-in over real sockets on loopback, against a real API server: the pods are
 * created by the test, which also plays their kubelet (it writes their status and runs a
 * {@link NamedEchoServer} on each pod's address).
 */
class ServiceProxyTest {

    private static final String NAMESPACE = "default";
    private static final Duration FOLLOW = Duration.ofSeconds(10);
    /** Pod addresses of these tests, apart from a full plane's 127.0.1.0/24. */
    private static final AtomicInteger NEXT_POD_ADDRESS = new AtomicInteger(1);

    @AutoClose
    private static MinimalPlane plane;
    private static KubernetesClient client;
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void startPlane() {
        plane = MinimalPlane.start();
        client = plane.client();
    }

    @AfterEach
    void stopWhatTheTestStarted() throws Exception {
        for (AutoCloseable closeable : started) {
            closeable.close();
        }
    }

    @Test
    void listensOnTheLoopbackAddressOfItsClusterIpAndTheServicePort() throws IOException {
        Service service = createService("addressed");

        ServiceProxy proxy = startProxy("addressed");

        String clusterIp = service.getSpec().getClusterIP();
        assertThat(proxy.address().getAddress().getHostAddress())
                .isEqualTo("127.0.2." + clusterIp.substring(clusterIp.lastIndexOf('.') + 1));
        if (mayBindPrivilegedPorts()) {
            assertThat(proxy.address().getPort()).isEqualTo(80);
        } else {
            assertThat(proxy.address().getPort()).isGreaterThanOrEqualTo(1024);
        }
    }

    @Test
    void forwardsNewConnectionsInTurnToTheReadyPodsOfTheSelectorAtTheNamedTargetPort() throws Exception {
        createService("turns");
        runPod("turns-a", "turns", true);
        runPod("turns-b", "turns", true);
        runPod("turns-unready", "turns", false);
        runPod("other-app", "other", true);
        ServiceProxy proxy = startProxy("turns");
        awaitReady(proxy, "turns-a", "turns-b");

        Set<String> greeters = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            try (Connection connection = connect(proxy)) {
                String greeter = connection.readLine();
                assertThat(proxy.endpointOf(connection.localAddress())).hasValueSatisfying(
                        endpoint -> assertThat(endpoint.pod()).isEqualTo(greeter));
                greeters.add(greeter);
            }
        }

        assertThat(greeters).containsExactlyInAnyOrder("turns-a", "turns-b");
    }

    @Test
    void passesDataBothWaysAndAHalfCloseOn() throws Exception {
        createService("echo");
        runPod("echo-a", "echo", true);
        ServiceProxy proxy = startProxy("echo");
        awaitReady(proxy, "echo-a");

        try (Connection connection = connect(proxy)) {
            assertThat(connection.readLine()).isEqualTo("echo-a");
            connection.write("first line\nsecond line\n");
            connection.socket.shutdownOutput();

            assertThat(connection.readLine()).isEqualTo("first line");
            assertThat(connection.readLine()).isEqualTo("second line");
            assertThat(connection.readLine()).as("the endpoint's half-close, after the client's").isNull();
        }
    }

    @Test
    void aPodThatTurnsNotReadyGetsNoNewConnectionsButKeepsThoseItHas() throws Exception {
        createService("fading");
        runPod("fading-a", "fading", true);
        runPod("fading-b", "fading", true);
        ServiceProxy proxy = startProxy("fading");
        awaitReady(proxy, "fading-a", "fading-b");
        Connection onA = connectTo(proxy, "fading-a");

        setReady("fading-a", false);

        awaitReady(proxy, "fading-b");
        for (int i = 0; i < 3; i++) {
            try (Connection connection = connect(proxy)) {
                assertThat(connection.readLine()).isEqualTo("fading-b");
            }
        }
        onA.write("still here\n");
        assertThat(onA.readLine()).isEqualTo("still here");
        assertThat(proxy.endpointOf(onA.localAddress())).map(ServiceEndpoint::pod).hasValue("fading-a");
    }

    @Test
    void aTerminatingPodAndADeletedOneGetNoNewConnections() throws Exception {
        createService("leaving");
        runPod("leaving-a", "leaving", true);
        runPod("leaving-b", "leaving", true);
        runPod("leaving-c", "leaving", true);
        ServiceProxy proxy = startProxy("leaving");
        awaitReady(proxy, "leaving-a", "leaving-b", "leaving-c");

        // The pods are bound to a node, so a graceful delete leaves them terminating (no kubelet ends them).
        client.pods().inNamespace(NAMESPACE).withName("leaving-a").delete();
        client.pods().inNamespace(NAMESPACE).withName("leaving-b").withGracePeriod(0).delete();

        awaitReady(proxy, "leaving-c");
        assertThat(client.pods().inNamespace(NAMESPACE).withName("leaving-a").get().getMetadata()
                .getDeletionTimestamp()).isNotNull();
        for (int i = 0; i < 3; i++) {
            try (Connection connection = connect(proxy)) {
                assertThat(connection.readLine()).isEqualTo("leaving-c");
            }
        }
    }

    @Test
    void anEndpointThatRefusesTheConnectionIsSkippedForAnotherReadyOne() throws Exception {
        createService("refusing");
        runPod("refusing-a", "refusing", true);
        String silentIp = nextPodAddress();
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getByName(silentIp))) {
            closedPort = gone.getLocalPort();
        }
        createPod("refusing-b", "refusing", silentIp, closedPort, true);
        ServiceProxy proxy = startProxy("refusing");
        awaitReady(proxy, "refusing-a", "refusing-b");

        for (int i = 0; i < 4; i++) {
            try (Connection connection = connect(proxy)) {
                assertThat(connection.readLine()).isEqualTo("refusing-a");
            }
        }
    }

    @Test
    void withoutAReadyEndpointTheClientsConnectionIsClosed() throws Exception {
        createService("empty");
        runPod("empty-a", "empty", false);
        ServiceProxy proxy = startProxy("empty");
        awaitReady(proxy);

        try (Connection connection = connect(proxy)) {
            assertThat(connection.readLine()).isNull();
        }
    }

    @Test
    void refusesAServiceWithoutASelector() {
        client.services().inNamespace(NAMESPACE).resource(new ServiceBuilder().withNewMetadata().withName("manual")
                .endMetadata().withNewSpec().addNewPort().withPort(80).endPort().endSpec().build()).create();

        assertThatThrownBy(() -> ServiceProxy.start(client, NAMESPACE, "manual"))
                .hasMessageContaining("default/manual has no selector");
    }

    private static Service createService(String app) {
        return client.services().inNamespace(NAMESPACE).resource(new ServiceBuilder()
                .withNewMetadata().withName(app).endMetadata()
                .withNewSpec().withSelector(Map.of("app", app))
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort()
                .endSpec().build()).create();
    }

    private ServiceProxy startProxy(String service) {
        ServiceProxy proxy = ServiceProxy.start(client, NAMESPACE, service);
        started.add(proxy);
        return proxy;
    }

    /** A pod with its echo server running on its address, ready or not. */
    private void runPod(String name, String app, boolean ready) throws IOException {
        String ip = nextPodAddress();
        NamedEchoServer server = new NamedEchoServer(name, ip);
        started.add(server);
        createPod(name, app, ip, server.port(), ready);
    }

    private static void createPod(String name, String app, String ip, int port, boolean ready) {
        client.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
                .withNewMetadata().withName(name).withLabels(Map.of("app", app)).endMetadata()
                .withNewSpec().withNodeName("node-1").addNewContainer().withName("main").withImage("example.invalid/echo")
                .addNewPort().withName("http").withContainerPort(port).endPort().endContainer().endSpec()
                .build()).create();
        client.pods().inNamespace(NAMESPACE).withName(name).editStatus(pod -> new PodBuilder(pod).editOrNewStatus()
                .withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP()
                .withConditions(readyCondition(ready)).endStatus().build());
    }

    private static void setReady(String name, boolean ready) {
        client.pods().inNamespace(NAMESPACE).withName(name).editStatus(pod -> new PodBuilder(pod).editStatus()
                .withConditions(readyCondition(ready)).endStatus().build());
    }

    private static PodCondition readyCondition(boolean ready) {
        return new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build();
    }

    private static void awaitReady(ServiceProxy proxy, String... pods) {
        await("ready endpoints " + List.of(pods)).atMost(FOLLOW).untilAsserted(() ->
                assertThat(proxy.readyEndpoints(80)).extracting(ServiceEndpoint::pod).containsExactly(pods));
    }

    private static String nextPodAddress() {
        return "127.0.4." + NEXT_POD_ADDRESS.getAndIncrement();
    }

    private static boolean mayBindPrivilegedPorts() {
        try (ServerSocket privileged = new ServerSocket(1, 1, InetAddress.getByName("127.0.2.255"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Connection connect(ServiceProxy proxy) throws IOException {
        Socket socket = new Socket();
        socket.connect(proxy.address(), 2_000);
        socket.setSoTimeout(5_000);
        Connection connection = new Connection(socket);
        started.add(connection);
        return connection;
    }

    /** Connects until the proxy sends the connection to {@code pod}: the test's way to pick one. */
    private Connection connectTo(ServiceProxy proxy, String pod) throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            Connection connection = connect(proxy);
            if (connection.readLine().equals(pod)) {
                return connection;
            }
            connection.close();
        }
        throw new AssertionError("ten connections and none went to " + pod);
    }

    /** A client's connection through the proxy, read line by line. */
    private static final class Connection implements AutoCloseable {

        final Socket socket;
        private final BufferedReader in;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        InetSocketAddress localAddress() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        String readLine() throws IOException {
            return in.readLine();
        }

        void write(String text) throws IOException {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
