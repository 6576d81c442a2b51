package io.sserelay.testplane;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Service's data path on a plane whose pods live on loopback addresses, in place of
 * kube-proxy: it listens for the Service and forwards each new TCP connection to one of the
 * Service's ready pods, following the pods through an informer as kube-proxy follows
 * EndpointSlices (which this plane cannot have: the API server refuses loopback addresses in
 * them, see docs/testing.md).
 *
 * <p><b>Address.</b> The API server gives the Service a ClusterIP {@code 10.96.0.N} from
 * {@link ControlPlane#SERVICE_CIDR}, which nothing routes here; the proxy listens on
 * {@code 127.0.2.N}, outside the pod range {@link FullPlane#POD_CIDR}, on each of the
 * Service's ports. When the process may not bind a port below 1024 it listens on a port the
 * kernel chooses instead, on the same address; {@link #address(int)} says which.
 *
 * <p><b>Endpoints.</b> Each new connection goes to the next ready endpoint in turn (round
 * robin, by pod name; see {@link ReadyEndpoints} for which pods are ready endpoints). A pod
 * that turns not ready, starts terminating or is deleted gets no new connections; connections
 * already forwarded to it are left alone, as conntrack leaves them, until either side closes
 * them. An endpoint that refuses the connection is skipped for the next one; when none
 * accepts, the client's connection is closed. The Service's selector and ports are read once,
 * at start; a Service changed afterwards needs a new proxy.
 *
 * <p><b>Threads.</b> fabric8's informer thread keeps the pods' cache; one accept thread per
 * port; per forwarded connection, two threads blocked in reads, one per direction (a test
 * plane forwards a handful of connections, and blocking copies are the least code that
 * passes half-closes on correctly).
 */
public final class ServiceProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceProxy.class);
    /** Where Services listen: 127.0.2.N for the ClusterIP whose last byte is N. */
    static final String SERVICE_LOOPBACK_PREFIX = "127.0.2.";
    private static final int CONNECT_TIMEOUT_MILLIS = 1_000;

    private final String service;
    private final SharedIndexInformer<Pod> pods;
    /** Filled before the accept threads and the informer's handler start; read-only afterwards. */
    private final Map<Integer, Listener> listeners = new LinkedHashMap<>();
    private final Map<InetSocketAddress, ForwardedConnection> open = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private ServiceProxy(String service, SharedIndexInformer<Pod> pods) {
        this.service = service;
        this.pods = pods;
    }

    /**
     * Starts proxying the Service {@code namespace/name}, which must exist and have a selector
     * and a ClusterIP, and returns once it listens on every port and knows the current pods.
     */
    public static ServiceProxy start(KubernetesClient client, String namespace, String name) {
        Service service = client.services().inNamespace(namespace).withName(name).get();
        if (service == null) {
            throw new IllegalArgumentException("no Service " + namespace + "/" + name);
        }
        Map<String, String> selector = service.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            throw new IllegalArgumentException("Service " + namespace + "/" + name
                    + " has no selector; the proxy finds endpoints by the selector's pods");
        }
        InetAddress address = loopbackAddressFor(service.getSpec().getClusterIP(), namespace + "/" + name);
        ServiceProxy proxy = new ServiceProxy(namespace + "/" + name,
                client.pods().inNamespace(namespace).withLabels(selector).inform());
        try {
            for (ServicePort port : service.getSpec().getPorts()) {
                if ("TCP".equals(Objects.requireNonNullElse(port.getProtocol(), "TCP"))) {
                    proxy.listeners.put(port.getPort(), proxy.new Listener(port, bind(address, port.getPort())));
                }
            }
            proxy.listeners.values().forEach(Listener::start);
            proxy.pods.addEventHandler(proxy.new ReadinessLog());
            return proxy;
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
    }

    /** The loopback address that stands for a ClusterIP: 127.0.2.N for 10.96.0.N. */
    static InetAddress loopbackAddressFor(String clusterIp, String service) {
        String servicePrefix = ControlPlane.SERVICE_CIDR.substring(0, ControlPlane.SERVICE_CIDR.lastIndexOf('.') + 1);
        if (clusterIp == null || !clusterIp.startsWith(servicePrefix)) {
            throw new IllegalArgumentException("Service " + service + " has ClusterIP " + clusterIp
                    + "; only Services with a ClusterIP in " + ControlPlane.SERVICE_CIDR + " can be proxied");
        }
        try {
            return InetAddress.getByName(SERVICE_LOOPBACK_PREFIX + clusterIp.substring(servicePrefix.length()));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address: " + clusterIp, e);
        }
    }

    private static ServerSocket bind(InetAddress address, int port) {
        try {
            return bound(address, port);
        } catch (BindException e) {
            if (port >= 1024) {
                throw new UncheckedIOException("cannot listen on " + address.getHostAddress() + ":" + port, e);
            }
            try {
                ServerSocket socket = bound(address, 0);
                LOG.info("may not bind privileged port {} ({}); service port {} listens on {}:{} instead", port,
                        e.getMessage(), port, address.getHostAddress(), socket.getLocalPort());
                return socket;
            } catch (IOException again) {
                throw new UncheckedIOException("cannot listen on " + address.getHostAddress(), again);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address.getHostAddress() + ":" + port, e);
        }
    }

    private static ServerSocket bound(InetAddress address, int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, port), 128);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Where the Service's only port listens. */
    public InetSocketAddress address() {
        return onlyListener().address();
    }

    /** Where the Service's port {@code servicePort} listens. */
    public InetSocketAddress address(int servicePort) {
        Listener listener = listeners.get(servicePort);
        if (listener == null) {
            throw new IllegalArgumentException("Service " + service + " has no TCP port " + servicePort);
        }
        return listener.address();
    }

    /** The endpoints new connections to the Service's only port go to now. */
    public List<ServiceEndpoint> readyEndpoints() {
        return onlyListener().readyEndpoints();
    }

    /** The endpoints new connections to {@code servicePort} go to now. */
    public List<ServiceEndpoint> readyEndpoints(int servicePort) {
        Listener listener = listeners.get(servicePort);
        if (listener == null) {
            throw new IllegalArgumentException("Service " + service + " has no TCP port " + servicePort);
        }
        return listener.readyEndpoints();
    }

    private Listener onlyListener() {
        if (listeners.size() != 1) {
            throw new IllegalStateException("Service " + service + " has " + listeners.size()
                    + " TCP ports; name the port");
        }
        return listeners.values().iterator().next();
    }

    /**
     * Where the open connection from {@code client} (the client's own local address) was
     * forwarded, if the proxy holds such a connection.
     */
    public Optional<ServiceEndpoint> endpointOf(InetSocketAddress client) {
        ForwardedConnection connection = open.get(client);
        return connection == null ? Optional.empty() : Optional.of(connection.endpoint());
    }

    /** Stops listening, closes every forwarded connection and stops following the pods. */
    @Override
    public void close() {
        closed = true;
        listeners.values().forEach(Listener::close);
        open.values().forEach(ForwardedConnection::close);
        pods.close();
    }

    /** One Service port: its listening socket, its accept thread and its turn among endpoints. */
    private final class Listener {

        private final ServicePort port;
        private final ServerSocket socket;
        private final AtomicLong turn = new AtomicLong();

        Listener(ServicePort port, ServerSocket socket) {
            this.port = port;
            this.socket = socket;
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        List<ServiceEndpoint> readyEndpoints() {
            return ReadyEndpoints.of(pods.getStore().list(), port);
        }

        void start() {
            LOG.info("service {} port {} listens on {}", service, port.getPort(), socket.getLocalSocketAddress());
            Thread acceptor = new Thread(this::accept, "service-proxy-" + port.getPort() + "-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            while (!closed) {
                Socket client;
                try {
                    client = socket.accept();
                } catch (IOException e) {
                    if (!closed) {
                        LOG.warn("service {} port {} stopped accepting: {}", service, port.getPort(), e.toString());
                    }
                    return;
                }
                Thread forwarder = new Thread(() -> forward(client), "service-proxy-" + client.getPort());
                forwarder.setDaemon(true);
                forwarder.start();
            }
        }

        /** Connects {@code client} to the next ready endpoint that accepts, then copies both ways. */
        private void forward(Socket client) {
            List<ServiceEndpoint> ready = readyEndpoints();
            int first = ready.isEmpty() ? 0 : (int) Math.floorMod(turn.getAndIncrement(), (long) ready.size());
            List<String> refused = new ArrayList<>();
            for (int i = 0; i < ready.size(); i++) {
                ServiceEndpoint endpoint = ready.get((first + i) % ready.size());
                Socket upstream = new Socket();
                try {
                    upstream.connect(endpoint.address(), CONNECT_TIMEOUT_MILLIS);
                } catch (IOException e) {
                    refused.add(endpoint + ": " + e.getMessage());
                    closeQuietly(upstream);
                    continue;
                }
                InetSocketAddress from = (InetSocketAddress) client.getRemoteSocketAddress();
                ForwardedConnection connection = new ForwardedConnection(client, upstream, endpoint,
                        () -> open.remove(from));
                open.put(from, connection);
                if (closed) {
                    connection.close();
                }
                LOG.debug("service {}: {} -> {}", service, from, endpoint);
                connection.run(Thread.currentThread().getName());
                return;
            }
            LOG.info("service {} port {}: no ready endpoint took the connection from {} (refused: {})", service,
                    port.getPort(), client.getRemoteSocketAddress(), refused);
            closeQuietly(client);
        }

        void close() {
            closeQuietly(socket);
        }
    }

    /** Logs each change of the ready endpoints, so a test's or the demo's log tells where traffic could go. */
    private final class ReadinessLog implements ResourceEventHandler<Pod> {

        private final Map<Integer, List<ServiceEndpoint>> last = new ConcurrentHashMap<>();

        @Override
        public void onAdd(Pod pod) {
            changed();
        }

        @Override
        public void onUpdate(Pod before, Pod pod) {
            changed();
        }

        @Override
        public void onDelete(Pod pod, boolean unknownState) {
            changed();
        }

        private void changed() {
            listeners.forEach((number, listener) -> {
                List<ServiceEndpoint> now = listener.readyEndpoints();
                if (!now.equals(last.put(number, now))) {
                    LOG.info("service {} port {}: ready endpoints {}", service, number, now);
                }
            });
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }
}
