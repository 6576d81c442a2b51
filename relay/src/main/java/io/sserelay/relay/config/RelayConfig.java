package io.sserelay.relay.config;

import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;
import io.sserelay.api.relay.RelayVariables;
import io.sserelay.relay.auth.JwtSettings;
import io.sserelay.relay.http.PublishLimits;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.sse.SseSettings;
import io.sserelay.relay.stream.HistoryLimits;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Everything a relay process is configured with, read once at start-up from {@code RELAY_*}
 * environment variables (the container contract the operator fills in). Every variable is
 * optional; {@code docs/relay.md} lists them with their defaults and limits.
 *
 * @param adminPort             the port of {@code /metrics} (and the health endpoints), which the
 *                              public Service does not expose
 * @param publishToken          the token publishers present; generated when not configured
 * @param publishTokenGenerated true when no token was configured and one was made up
 * @param subscribeToken        the token subscribers present, or null when subscribing is open
 * @param peerToken             the secret relays of a cluster share, or null for a relay on its
 *                              own (then the peer port is not opened)
 * @param peers                 a fixed view of the cluster, this relay among them
 * @param advertiseAddress      how peers reach this relay's peer port, or null for the bind
 *                              address and the peer port
 * @param sseRelayNamespace     with {@code sseRelayName}: the SseRelay whose status lists the
 *                              peers, or both null
 * @param requestTimeout        how long a client may take to send a request's head, and again
 *                              its body, before it is answered 408 and disconnected
 * @param connectionsMaxBytes   heap all subscriber connections may hold together, by estimate
 * @param maxConnectionsPerAddress subscriber connections one source address may hold; 0 for
 *                              no limit
 * @param publishMaxPendingBytes publish bodies being received or waiting to be published, in
 *                              bytes, over all publishers
 * @param maxConnections        TCP connections the public port holds at most, of any kind
 * @param idleTimeout           a connection that sends and receives nothing this long is closed
 * @param publishAck            when a publish is answered 202 in a cluster: once a peer holds the
 *                              events ({@link PublishAck#REPLICATED}) or once this relay numbered
 *                              them ({@link PublishAck#LOCAL})
 * @param publishAckTimeout     how long a replicated publish waits for a peer before it is
 *                              answered 503 and its events are dropped everywhere
 * @param publishJwt            whether publishers authenticate with signed tokens ({@code jwt})
 * @param subscribeJwt          whether subscribers authenticate with signed tokens ({@code jwt})
 * @param jwt                   how signed tokens are checked, or null when neither side uses them
 */
public record RelayConfig(
        String bindAddress,
        int httpPort,
        int adminPort,
        HistoryLimits history,
        SseSettings sse,
        PublishLimits publish,
        int maxStreamsPerConnection,
        String publishToken,
        boolean publishTokenGenerated,
        boolean publishAuthDisabled,
        String subscribeToken,
        int peerPort,
        String peerToken,
        List<PeerAddress> peers,
        PeerAddress advertiseAddress,
        String sseRelayNamespace,
        String sseRelayName,
        List<String> corsAllowedOrigins,
        Duration shutdownDelay,
        Duration drainTimeout,
        Duration requestTimeout,
        int ioThreads,
        int workerThreads,
        long connectionsMaxBytes,
        int maxConnectionsPerAddress,
        long publishMaxPendingBytes,
        int maxConnections,
        Duration idleTimeout,
        PublishAck publishAck,
        Duration publishAckTimeout,
        boolean publishJwt,
        boolean subscribeJwt,
        JwtSettings jwt) {

    /** When a clustered relay answers a publish; see {@code RELAY_PUBLISH_ACK} in docs/relay.md. */
    public enum PublishAck {
        /** Once at least one peer holds the events. */
        REPLICATED,
        /** As soon as this relay has numbered the events. */
        LOCAL
    }

    private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+");

    /** The defaults: what a standalone relay runs with when nothing is set. */
    public static RelayConfig defaults() {
        return fromEnvironment(Map.of());
    }

    /**
     * Budgets left to their defaults are these shares of the JVM's maximum heap; together with
     * any set explicitly they may add up to {@link #MAX_HEAP_SHARE} of it, which leaves room
     * for what no budget counts (the relay's code, buffers in flight, garbage not yet collected).
     */
    static final double HISTORY_HEAP_SHARE = 0.25;
    static final double CONNECTIONS_HEAP_SHARE = 0.35;
    static final double PUBLISH_HEAP_SHARE = 0.10;
    static final double QUEUES_HEAP_SHARE = 0.10;
    static final double MAX_HEAP_SHARE = 0.85;
    /** The connections' budget divided by this is the default cap on connections. */
    static final long CONNECTION_SLOT_BYTES = 4096;

    /** @throws ConfigException listing every invalid variable */
    public static RelayConfig fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, Runtime.getRuntime().maxMemory());
    }

    /**
     * @param maxHeapBytes the JVM's maximum heap, from which the memory budgets' defaults follow
     * @throws ConfigException listing every invalid variable
     */
    public static RelayConfig fromEnvironment(Map<String, String> env, long maxHeapBytes) {
        EnvironmentReader in = new EnvironmentReader(env);

        String bindAddress = in.string(RelayVariables.BIND_ADDRESS);
        if (bindAddress == null) {
            bindAddress = RelayDefaults.BIND_ADDRESS;
        } else {
            try {
                InetAddress.getByName(bindAddress);
            } catch (UnknownHostException e) {
                in.problem(RelayVariables.BIND_ADDRESS, bindAddress, "is not an address of this host");
            }
        }
        int httpPort = in.integer(RelayVariables.HTTP_PORT, RelayDefaults.HTTP_PORT, 0, 65535);
        int adminPort = in.integer(RelayVariables.ADMIN_PORT, RelayDefaults.ADMIN_PORT, 0, 65535);

        HistoryLimits history = new HistoryLimits(
                in.integer(RelayVariables.HISTORY_MAX_EVENTS, RelayDefaults.HISTORY_MAX_EVENTS,
                        RelayLimits.MIN_HISTORY_MAX_EVENTS, RelayLimits.MAX_HISTORY_MAX_EVENTS),
                in.duration(RelayVariables.HISTORY_MAX_AGE, RelayDefaults.HISTORY_MAX_AGE, RelayLimits.MIN_HISTORY_MAX_AGE,
                        RelayLimits.MAX_HISTORY_MAX_AGE),
                in.bytes(RelayVariables.HISTORY_MAX_BYTES, share(maxHeapBytes, HISTORY_HEAP_SHARE),
                        RelayLimits.MIN_HISTORY_MAX_BYTES, RelayLimits.MAX_HISTORY_MAX_BYTES),
                in.integer(RelayVariables.HISTORY_MAX_STREAMS, RelayDefaults.HISTORY_MAX_STREAMS,
                        RelayLimits.MIN_HISTORY_MAX_STREAMS, RelayLimits.MAX_HISTORY_MAX_STREAMS),
                in.integer(RelayVariables.HISTORY_MAX_TOMBSTONES, RelayDefaults.HISTORY_MAX_TOMBSTONES,
                        RelayLimits.MIN_HISTORY_MAX_TOMBSTONES, RelayLimits.MAX_HISTORY_MAX_TOMBSTONES));

        int maxEventBytes = (int) in.bytes(RelayVariables.MAX_EVENT_BYTES, RelayDefaults.MAX_EVENT_BYTES,
                RelayLimits.MIN_MAX_EVENT_BYTES, RelayLimits.MAX_MAX_EVENT_BYTES);
        PublishLimits publish = new PublishLimits(
                maxEventBytes,
                in.integer(RelayVariables.MAX_BATCH_EVENTS, 1000, 1, 100_000),
                (int) in.bytes(RelayVariables.MAX_BATCH_BYTES, 4L << 20, 1L << 10, 256L << 20));

        long bufferBytes = in.bytes(RelayVariables.SUBSCRIBER_BUFFER_BYTES, RelayDefaults.SUBSCRIBER_BUFFER_BYTES,
                RelayLimits.MIN_SUBSCRIBER_BUFFER_BYTES, RelayLimits.MAX_SUBSCRIBER_BUFFER_BYTES);
        if (bufferBytes < maxEventBytes) {
            in.problem("RELAY_SUBSCRIBER_BUFFER_BYTES (" + EnvironmentReader.formatBytes(bufferBytes)
                    + ") must be at least RELAY_MAX_EVENT_BYTES (" + EnvironmentReader.formatBytes(maxEventBytes)
                    + "), or every subscriber would be cut off by one large event");
        }
        SseSettings sse = new SseSettings(
                in.duration(RelayVariables.RETRY, Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMinutes(10)),
                in.duration(RelayVariables.HEARTBEAT, RelayDefaults.HEARTBEAT, RelayLimits.MIN_HEARTBEAT, RelayLimits.MAX_HEARTBEAT),
                in.duration(RelayVariables.WRITE_TIMEOUT, Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofHours(1)),
                bufferBytes,
                in.duration(RelayVariables.SHUTDOWN_RETRY, Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(1)),
                in.bytes(RelayVariables.SUBSCRIBER_QUEUES_MAX_BYTES, share(maxHeapBytes, QUEUES_HEAP_SHARE), 1L << 20, 64L << 30));

        if (sse.queuesMaxBytes() < bufferBytes) {
            in.problem("RELAY_SUBSCRIBER_QUEUES_MAX_BYTES (" + EnvironmentReader.formatBytes(sse.queuesMaxBytes())
                    + ") must be at least RELAY_SUBSCRIBER_BUFFER_BYTES (" + EnvironmentReader.formatBytes(bufferBytes)
                    + "), or one slow subscriber could use up every subscriber's share");
        }
        int maxStreams = in.integer(RelayVariables.MAX_STREAMS_PER_CONNECTION, 32, 1, 1000);
        long connectionsMaxBytes = in.bytes(RelayVariables.CONNECTIONS_MAX_BYTES,
                share(maxHeapBytes, CONNECTIONS_HEAP_SHARE), 1L << 20, 64L << 30);
        int maxConnectionsPerAddress = in.integer(RelayVariables.MAX_CONNECTIONS_PER_ADDRESS,
                RelayDefaults.MAX_CONNECTIONS_PER_ADDRESS, RelayLimits.MIN_MAX_CONNECTIONS_PER_ADDRESS,
                RelayLimits.MAX_MAX_CONNECTIONS_PER_ADDRESS);
        // A connection holds about 2 KB of heap before its first request (measured), so at one
        // per 4 KiB of the connections' budget, bare connections can take half of it at most.
        int maxConnections = in.integer(RelayVariables.MAX_CONNECTIONS,
                (int) Math.min(1_000_000, Math.max(16, connectionsMaxBytes / CONNECTION_SLOT_BYTES)), 16, 1_000_000);
        long publishMaxPendingBytes = in.bytes(RelayVariables.PUBLISH_MAX_PENDING_BYTES,
                Math.max(share(maxHeapBytes, PUBLISH_HEAP_SHARE), 2L * publish.maxBatchBytes()), 1L << 20, 64L << 30);
        if (publishMaxPendingBytes < publish.maxBatchBytes()) {
            in.problem("RELAY_PUBLISH_MAX_PENDING_BYTES (" + EnvironmentReader.formatBytes(publishMaxPendingBytes)
                    + ") must be at least RELAY_MAX_BATCH_BYTES (" + EnvironmentReader.formatBytes(publish.maxBatchBytes())
                    + "), or a batch of the largest size could never be accepted");
        }
        long budgets = history.maxBytes() + connectionsMaxBytes + publishMaxPendingBytes + sse.queuesMaxBytes();
        if (budgets > maxHeapBytes * MAX_HEAP_SHARE) {
            in.problem("the memory budgets RELAY_HISTORY_MAX_BYTES (" + mebibytes(history.maxBytes())
                    + "), RELAY_CONNECTIONS_MAX_BYTES (" + mebibytes(connectionsMaxBytes)
                    + "), RELAY_PUBLISH_MAX_PENDING_BYTES (" + mebibytes(publishMaxPendingBytes)
                    + ") and RELAY_SUBSCRIBER_QUEUES_MAX_BYTES (" + mebibytes(sse.queuesMaxBytes())
                    + ") add up to " + mebibytes(budgets) + ", more than " + Math.round(MAX_HEAP_SHARE * 100)
                    + "% of the JVM's maximum heap (" + mebibytes(maxHeapBytes) + "): lower them, or give the JVM"
                    + " more memory (the container's memory limit, or -Xmx)");
        }

        boolean publishAuthDisabled = in.bool(RelayVariables.PUBLISH_AUTH_DISABLED, RelayDefaults.PUBLISH_AUTH_DISABLED);
        boolean publishJwt = in.choice(RelayVariables.PUBLISH_AUTH, RelayDefaults.PUBLISH_AUTH, "token", "jwt").equals("jwt");
        String publishToken = token(in, RelayVariables.PUBLISH_TOKEN);
        boolean generated = false;
        if (publishAuthDisabled && publishJwt) {
            in.problem("RELAY_PUBLISH_AUTH=jwt and RELAY_PUBLISH_AUTH_DISABLED=true: set one or the other");
        } else if (publishJwt && publishToken != null) {
            in.problem("RELAY_PUBLISH_TOKEN is set but RELAY_PUBLISH_AUTH is jwt: publishers present signed tokens;"
                    + " unset it, or use RELAY_PUBLISH_AUTH=token");
        } else if (publishAuthDisabled && publishToken != null) {
            in.problem("RELAY_PUBLISH_TOKEN is set and RELAY_PUBLISH_AUTH_DISABLED=true: set one or the other");
        } else if (!publishAuthDisabled && !publishJwt && publishToken == null) {
            publishToken = generateToken();
            generated = true;
        }

        String subscribeAuth = in.choice(RelayVariables.SUBSCRIBE_AUTH, RelayDefaults.SUBSCRIBE_AUTH, "none", "token", "jwt");
        String subscribeToken = token(in, RelayVariables.SUBSCRIBE_TOKEN);
        if (subscribeAuth.equals("token") && subscribeToken == null) {
            in.problem("RELAY_SUBSCRIBE_AUTH=token needs RELAY_SUBSCRIBE_TOKEN");
        }
        if (!subscribeAuth.equals("token") && subscribeToken != null) {
            in.problem("RELAY_SUBSCRIBE_TOKEN is set but RELAY_SUBSCRIBE_AUTH is not 'token': set both or neither");
        }
        boolean subscribeJwt = subscribeAuth.equals("jwt");
        JwtSettings jwt = JwtConfig.read(in, publishJwt, subscribeJwt);

        int peerPort = in.integer(RelayVariables.PEER_PORT, RelayDefaults.PEER_PORT, 0, 65535);
        String peerToken = token(in, RelayVariables.PEER_TOKEN);
        List<PeerAddress> peers = new ArrayList<>();
        for (String peer : in.list(RelayVariables.PEERS)) {
            try {
                peers.add(PeerAddress.parse(peer));
            } catch (IllegalArgumentException e) {
                in.problem("RELAY_PEERS: " + e.getMessage());
            }
        }
        if (!peers.isEmpty() && peerToken == null) {
            in.problem("RELAY_PEERS needs RELAY_PEER_TOKEN, the secret all relays of the cluster share");
        }
        PeerAddress advertise = null;
        String advertiseText = in.string(RelayVariables.ADVERTISE_ADDRESS);
        if (advertiseText != null) {
            try {
                advertise = PeerAddress.parse(advertiseText.contains(":") && !advertiseText.endsWith("]")
                        ? advertiseText : advertiseText + ":" + Math.max(peerPort, 1));
            } catch (IllegalArgumentException e) {
                in.problem("RELAY_ADVERTISE_ADDRESS: " + e.getMessage());
            }
        } else if (peerToken != null && isWildcard(bindAddress)) {
            in.problem("RELAY_ADVERTISE_ADDRESS is needed when RELAY_BIND_ADDRESS is " + bindAddress
                    + ": peers must know which address reaches this relay");
        } else if (peerToken != null && peerPort == 0) {
            in.problem("RELAY_PEER_PORT cannot be 0 (an ephemeral port) on a clustered relay: its peers know it by"
                    + " its peer address, which must be the same in every view and after a restart");
        }
        if (!peers.isEmpty() && peerToken != null && peerPort != 0 && (advertise != null || !isWildcard(bindAddress))
                && in.string(RelayVariables.SSERELAY_NAME) == null) {
            PeerAddress own = advertise != null ? advertise : new PeerAddress(bindAddress, peerPort);
            if (!peers.contains(own)) {
                in.problem("RELAY_PEERS must list this relay too (" + own + "): it is the cluster's view, the same"
                        + " list for every relay, and a relay serves only as a member of it");
            }
        }

        String sseRelayName = in.string(RelayVariables.SSERELAY_NAME);
        String sseRelayNamespace = in.string(RelayVariables.SSERELAY_NAMESPACE);
        if (sseRelayName != null) {
            if (sseRelayNamespace == null) {
                in.problem("RELAY_SSERELAY_NAME needs RELAY_SSERELAY_NAMESPACE, the namespace of the SseRelay");
            }
            if (!peers.isEmpty()) {
                in.problem("RELAY_PEERS and RELAY_SSERELAY_NAME both name the peers: set one or the other");
            }
            if (peerToken == null) {
                in.problem("RELAY_SSERELAY_NAME needs RELAY_PEER_TOKEN, the secret all relays of the cluster share");
            }
            if (peerPort == 0) {
                in.problem("RELAY_SSERELAY_NAME needs a fixed RELAY_PEER_PORT, not 0: the status lists only"
                        + " addresses, and relays reach each other on this port");
            }
        } else if (sseRelayNamespace != null) {
            in.problem("RELAY_SSERELAY_NAMESPACE is set without RELAY_SSERELAY_NAME");
        }

        List<String> origins = in.list(RelayVariables.CORS_ALLOWED_ORIGINS);
        for (String origin : origins) {
            if (!origin.equals("*") && !ORIGIN.matcher(origin).matches()) {
                in.problem(RelayVariables.CORS_ALLOWED_ORIGINS, origin,
                        "is not an origin: use scheme://host[:port] without a path, e.g. https://app.example.com, or *");
            }
        }
        if (jwt != null && jwt.cookie() != null && origins.contains("*")) {
            in.problem("RELAY_CORS_ALLOWED_ORIGINS is * while subscribers' tokens come in the cookie RELAY_JWT_COOKIE:"
                    + " any site could then read a signed-in user's streams; list the exact origins of your pages");
        }

        Duration shutdownDelay = in.duration(RelayVariables.SHUTDOWN_DELAY, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(5));
        Duration drainTimeout = in.duration(RelayVariables.DRAIN_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO,
                Duration.ofMinutes(10));
        Duration requestTimeout = in.duration(RelayVariables.REQUEST_TIMEOUT, Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofMinutes(5));
        Duration twoBeats = sse.heartbeat().multipliedBy(2);
        Duration idleTimeout = in.duration(RelayVariables.IDLE_TIMEOUT,
                twoBeats.compareTo(Duration.ofSeconds(60)) > 0 ? twoBeats : Duration.ofSeconds(60),
                Duration.ofSeconds(1), Duration.ofHours(1));
        if (idleTimeout.compareTo(twoBeats) < 0) {
            in.problem("RELAY_IDLE_TIMEOUT (" + idleTimeout.toMillis() + " ms) must be at least twice RELAY_HEARTBEAT ("
                    + sse.heartbeat().toMillis() + " ms), or quiet streams would be closed between heartbeats");
        }
        PublishAck publishAck = in.choice(RelayVariables.PUBLISH_ACK, RelayDefaults.PUBLISH_ACK, "replicated", "local").equals("local")
                ? PublishAck.LOCAL : PublishAck.REPLICATED;
        Duration publishAckTimeout = in.duration(RelayVariables.PUBLISH_ACK_TIMEOUT, RelayDefaults.PUBLISH_ACK_TIMEOUT,
                RelayLimits.MIN_PUBLISH_ACK_TIMEOUT, RelayLimits.MAX_PUBLISH_ACK_TIMEOUT);
        int cores = Runtime.getRuntime().availableProcessors();
        int ioThreads = in.integer(RelayVariables.IO_THREADS, Math.max(2, cores), 1, 256);
        int workerThreads = in.integer(RelayVariables.WORKER_THREADS, Math.max(8, ioThreads * 4), 1, 1024);

        if (adminPort != 0 && (adminPort == httpPort || peerToken != null && adminPort == peerPort)) {
            in.problem(RelayVariables.ADMIN_PORT, Integer.toString(adminPort), "is also the "
                    + (adminPort == httpPort ? "public port (RELAY_HTTP_PORT)" : "peer port (RELAY_PEER_PORT)")
                    + ": the admin port must be a port of its own, which the public Service does not expose");
        }
        if (httpPort != 0 && peerToken != null && httpPort == peerPort) {
            in.problem(RelayVariables.PEER_PORT, Integer.toString(peerPort), "is also the public port (RELAY_HTTP_PORT)");
        }

        in.throwIfProblems();
        return new RelayConfig(bindAddress, httpPort, adminPort, history, sse, publish, maxStreams, publishToken, generated,
                publishAuthDisabled, subscribeAuth.equals("token") ? subscribeToken : null, peerPort, peerToken,
                List.copyOf(peers), advertise, sseRelayNamespace, sseRelayName, List.copyOf(origins),
                shutdownDelay, drainTimeout, requestTimeout, ioThreads, workerThreads, connectionsMaxBytes,
                maxConnectionsPerAddress, publishMaxPendingBytes, maxConnections, idleTimeout, publishAck,
                publishAckTimeout, publishJwt, subscribeJwt, jwt);
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    private static long share(long maxHeapBytes, double share) {
        return Math.max(1L << 20, (long) (maxHeapBytes * share));
    }

    /**
     * Whether a publish waits until the stream's replica holds its events. Only a clustered relay
     * can; a stream whose view has no second relay has no replica to wait for.
     */
    public boolean replicatedAck() {
        return clustered() && publishAck == PublishAck.REPLICATED;
    }

    /** Whether this relay takes part in a cluster (opens the peer port and runs the cluster protocol with its peers). */
    public boolean clustered() {
        return peerToken != null;
    }

    private static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
    }

    private static String token(EnvironmentReader in, String name) {
        String token = in.string(name);
        if (token == null) {
            return null;
        }
        if (token.length() < RelayLimits.MIN_TOKEN_LENGTH) {
            in.problem(name + " is " + token.length() + " characters long; use at least " + RelayLimits.MIN_TOKEN_LENGTH);
        } else if (token.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            in.problem(name + " must not contain spaces or control characters");
        }
        return token;
    }

    private static String generateToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public String toString() {
        // Never print tokens.
        return "RelayConfig[bind=" + bindAddress + ":" + httpPort + ", admin port " + adminPort + ", history=" + history + ", sse=" + sse
                + ", publish=" + publish + ", maxStreamsPerConnection=" + maxStreamsPerConnection
                + ", publishAuth=" + (publishAuthDisabled ? "disabled" : publishJwt ? "jwt" : "token")
                + ", subscribeAuth=" + (subscribeJwt ? "jwt" : subscribeToken == null ? "none" : "token")
                + (jwt == null ? "" : ", jwt=" + JwtConfig.describe(jwt))
                + ", peers=" + (peerToken == null ? "none (not clustered)"
                        : (sseRelayName == null ? peers.toString() : "from SseRelay " + sseRelayNamespace + "/" + sseRelayName)
                        + " on port " + peerPort
                        + (advertiseAddress == null ? "" : " advertised as " + advertiseAddress))
                + ", cors=" + corsAllowedOrigins + ", shutdownDelay=" + shutdownDelay + ", drainTimeout=" + drainTimeout
                + ", requestTimeout=" + requestTimeout + ", idleTimeout=" + idleTimeout + ", ioThreads=" + ioThreads
                + ", workerThreads=" + workerThreads
                + ", connectionsMaxBytes=" + mebibytes(connectionsMaxBytes)
                + ", maxConnections=" + maxConnections
                + ", maxConnectionsPerAddress=" + (maxConnectionsPerAddress == 0 ? "unlimited" : maxConnectionsPerAddress)
                + ", publishMaxPendingBytes=" + mebibytes(publishMaxPendingBytes)
                + ", publishAck=" + publishAck.name().toLowerCase(Locale.ROOT)
                + (replicatedAck() ? " within " + publishAckTimeout.toMillis() + " ms" : "") + "]";
    }
}
