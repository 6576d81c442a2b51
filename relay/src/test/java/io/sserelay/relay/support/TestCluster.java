package io.sserelay.relay.support;

import io.sserelay.relay.Relay;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerView;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/**
 * Relays in the test's JVM, each on its own loopback address (127.0.0.11, .12, ...) with
 * ephemeral HTTP ports, all peers of each other. Node {@code i} can be stopped and started
 * again at the same address; it then comes back as a new process would, empty.
 */
public final class TestCluster implements AutoCloseable {

    public static final String PEER_TOKEN = "test-peer-token-0123456789";
    /**
     * Every node's peer port, on its own loopback address: a relay is known to its peers by its
     * peer address, and one restarted at the same address is the same member, as a pod is.
     */
    public static final int PEER_PORT = 17_171;

    private final Map<String, String> env;
    private final List<Node> nodes = new ArrayList<>();
    private long generation;

    private TestCluster(Map<String, String> env) {
        this.env = env;
    }

    /** Starts {@code size} relays and waits until every one follows every other. */
    public static TestCluster start(int size, Map<String, String> env) {
        return start(size, env, Map.of());
    }

    /** As {@link #start(int, Map)}, with extra settings for some nodes, by index. */
    public static TestCluster start(int size, Map<String, String> env, Map<Integer, Map<String, String>> perNode) {
        TestCluster cluster = new TestCluster(env);
        for (int i = 0; i < size; i++) {
            cluster.nodes.add(cluster.startNode(i, perNode.getOrDefault(i, Map.of())));
        }
        cluster.connectAll();
        return cluster;
    }

    public TestRelay relay(int i) {
        return nodes.get(i).relay;
    }

    public SettablePeerSource peerSource(int i) {
        return nodes.get(i).peers;
    }

    public int size() {
        return nodes.size();
    }

    public PeerAddress peerAddress(int i) {
        return nodes.get(i).relay.relay().advertisedPeerAddress();
    }

    /** Stops node {@code i} gracefully and takes it out of the others' peer sets. */
    public void stop(int i) {
        nodes.get(i).relay.close();
        nodes.get(i).stopped = true;
        publishPeerSets();
    }

    /** Starts node {@code i} again, as a new process at the same address, and reconnects everyone. */
    public void restart(int i, Map<String, String> extraEnv) {
        nodes.set(i, startNode(i, extraEnv));
        connectAll();
    }

    /**
     * Starts node {@code i} again, as a new process at the same address, with no peers: it
     * follows nobody and nobody follows it until {@link #connectAll()}.
     */
    public void restartAlone(int i, Map<String, String> extraEnv) {
        nodes.set(i, startNode(i, extraEnv));
    }

    /**
     * Starts node {@code i} again, as a new process at the same address, that has not read its
     * peer set yet; nobody's set changes. The test hands out the sets ({@link #peerSource},
     * {@link #allAddresses}) in the order it wants.
     */
    public void restartUnread(int i, Map<String, String> extraEnv) {
        nodes.set(i, startNode(i, extraEnv, false));
    }

    /** Adds a node, as {@link #restartUnread}: a new relay whose peer set is not read yet. */
    public int addUnread(Map<String, String> extraEnv) {
        nodes.add(startNode(nodes.size(), extraEnv, false));
        return nodes.size() - 1;
    }

    /** The peer addresses of every running node. */
    public Set<PeerAddress> allAddresses() {
        Set<PeerAddress> all = new LinkedHashSet<>();
        for (Node node : nodes) {
            if (!node.stopped) {
                all.add(node.relay.relay().advertisedPeerAddress());
            }
        }
        return all;
    }

    /** Gives every running node the full set of running nodes and waits until all follow each other. */
    public void connectAll() {
        publishPeerSets();
        awaitFullMesh();
    }

    /** Waits until every running node has adopted the latest view and is ready: the cluster serves. */
    public void awaitFullMesh() {
        int running = (int) nodes.stream().filter(n -> !n.stopped).count();
        for (Node node : nodes) {
            if (!node.stopped) {
                await().until(() -> {
                    var view = node.relay.relay().cluster().status().view();
                    return view != null && view.members().size() == running && node.relay.relay().readiness().ready();
                });
            }
        }
    }

    /** Gives every running node the next view, as the operator writes one status that all read. */
    private void publishPeerSets() {
        publishView(allAddresses(), Set.of());
    }

    /** Gives every running node the view with these members and leaving relays, as the next generation. */
    public synchronized void publishView(Set<PeerAddress> members, Set<PeerAddress> leaving) {
        PeerView view = nextView(members, leaving);
        for (Node node : nodes) {
            if (!node.stopped) {
                node.peers.set(view);
            }
        }
    }

    /** The next generation's view, for a test that hands it to some nodes only. */
    public synchronized PeerView nextView(Set<PeerAddress> members, Set<PeerAddress> leaving) {
        return new PeerView(++generation, members, leaving);
    }

    private Node startNode(int i, Map<String, String> extraEnv) {
        return startNode(i, extraEnv, true);
    }

    private Node startNode(int i, Map<String, String> extraEnv, boolean peerSetRead) {
        Map<String, String> all = new HashMap<>();
        all.put("RELAY_BIND_ADDRESS", "127.0.0." + (11 + i));
        all.put("RELAY_HTTP_PORT", "0");
        all.put("RELAY_ADMIN_PORT", "0");
        all.put("RELAY_PEER_PORT", Integer.toString(PEER_PORT)); // each relay has an address of its own
        all.put("RELAY_PEER_TOKEN", PEER_TOKEN);
        all.put("RELAY_PUBLISH_TOKEN", TestRelay.TOKEN);
        all.put("RELAY_DRAIN_TIMEOUT", "2s");
        all.put("RELAY_HEARTBEAT", "1s");
        all.putAll(env);
        all.putAll(extraEnv);
        all.values().removeIf(v -> v == null || v.isEmpty());
        SettablePeerSource peers = new SettablePeerSource(peerSetRead);
        return new Node(TestRelay.wrap(new Relay(RelayConfig.fromEnvironment(all), peers).start()), peers);
    }

    @Override
    public void close() {
        for (Node node : nodes) {
            if (!node.stopped) {
                node.relay.close();
            }
        }
    }

    private static final class Node {
        final TestRelay relay;
        final SettablePeerSource peers;
        boolean stopped;

        Node(TestRelay relay, SettablePeerSource peers) {
            this.relay = relay;
            this.peers = peers;
        }
    }
}
