package io.sserelay.api.relay;

import java.util.List;

/**
 * The names of the relay's environment variables: the contract between the relay process, which
 * reads them at start-up, and the operator, which fills them in from an SseRelay
 * ({@link RelayEnvironment}). docs/relay.md says what each one means.
 */
public final class RelayVariables {

    public static final String BIND_ADDRESS = "RELAY_BIND_ADDRESS";
    public static final String HTTP_PORT = "RELAY_HTTP_PORT";
    public static final String ADMIN_PORT = "RELAY_ADMIN_PORT";
    public static final String PEER_PORT = "RELAY_PEER_PORT";
    public static final String ADVERTISE_ADDRESS = "RELAY_ADVERTISE_ADDRESS";
    public static final String PEER_TOKEN = "RELAY_PEER_TOKEN";
    public static final String PEERS = "RELAY_PEERS";
    public static final String SSERELAY_NAME = "RELAY_SSERELAY_NAME";
    public static final String SSERELAY_NAMESPACE = "RELAY_SSERELAY_NAMESPACE";

    public static final String HISTORY_MAX_EVENTS = "RELAY_HISTORY_MAX_EVENTS";
    public static final String HISTORY_MAX_AGE = "RELAY_HISTORY_MAX_AGE";
    public static final String HISTORY_MAX_BYTES = "RELAY_HISTORY_MAX_BYTES";
    public static final String HISTORY_MAX_STREAMS = "RELAY_HISTORY_MAX_STREAMS";
    public static final String HISTORY_MAX_TOMBSTONES = "RELAY_HISTORY_MAX_TOMBSTONES";

    public static final String MAX_EVENT_BYTES = "RELAY_MAX_EVENT_BYTES";
    public static final String MAX_BATCH_EVENTS = "RELAY_MAX_BATCH_EVENTS";
    public static final String MAX_BATCH_BYTES = "RELAY_MAX_BATCH_BYTES";
    public static final String PUBLISH_MAX_PENDING_BYTES = "RELAY_PUBLISH_MAX_PENDING_BYTES";
    public static final String PUBLISH_ACK = "RELAY_PUBLISH_ACK";
    public static final String PUBLISH_ACK_TIMEOUT = "RELAY_PUBLISH_ACK_TIMEOUT";

    public static final String RETRY = "RELAY_RETRY";
    public static final String HEARTBEAT = "RELAY_HEARTBEAT";
    public static final String WRITE_TIMEOUT = "RELAY_WRITE_TIMEOUT";
    public static final String SUBSCRIBER_BUFFER_BYTES = "RELAY_SUBSCRIBER_BUFFER_BYTES";
    public static final String SUBSCRIBER_QUEUES_MAX_BYTES = "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES";
    public static final String SHUTDOWN_RETRY = "RELAY_SHUTDOWN_RETRY";
    public static final String MAX_STREAMS_PER_CONNECTION = "RELAY_MAX_STREAMS_PER_CONNECTION";
    public static final String CONNECTIONS_MAX_BYTES = "RELAY_CONNECTIONS_MAX_BYTES";
    public static final String MAX_CONNECTIONS_PER_ADDRESS = "RELAY_MAX_CONNECTIONS_PER_ADDRESS";
    public static final String MAX_CONNECTIONS = "RELAY_MAX_CONNECTIONS";
    public static final String CORS_ALLOWED_ORIGINS = "RELAY_CORS_ALLOWED_ORIGINS";

    public static final String SHUTDOWN_DELAY = "RELAY_SHUTDOWN_DELAY";
    public static final String DRAIN_TIMEOUT = "RELAY_DRAIN_TIMEOUT";
    public static final String REQUEST_TIMEOUT = "RELAY_REQUEST_TIMEOUT";
    public static final String IDLE_TIMEOUT = "RELAY_IDLE_TIMEOUT";
    public static final String IO_THREADS = "RELAY_IO_THREADS";
    public static final String WORKER_THREADS = "RELAY_WORKER_THREADS";

    public static final String PUBLISH_AUTH = "RELAY_PUBLISH_AUTH";
    public static final String PUBLISH_AUTH_DISABLED = "RELAY_PUBLISH_AUTH_DISABLED";
    public static final String PUBLISH_TOKEN = "RELAY_PUBLISH_TOKEN";
    public static final String SUBSCRIBE_AUTH = "RELAY_SUBSCRIBE_AUTH";
    public static final String SUBSCRIBE_TOKEN = "RELAY_SUBSCRIBE_TOKEN";

    public static final String JWT_HMAC_SECRET = "RELAY_JWT_HMAC_SECRET";
    public static final String JWT_PUBLIC_KEYS = "RELAY_JWT_PUBLIC_KEYS";
    public static final String JWT_JWKS_URL = "RELAY_JWT_JWKS_URL";
    public static final String JWT_JWKS_ALLOW_HTTP = "RELAY_JWT_JWKS_ALLOW_HTTP";
    public static final String JWT_JWKS_CACHE = "RELAY_JWT_JWKS_CACHE";
    public static final String JWT_JWKS_MIN_REFRESH = "RELAY_JWT_JWKS_MIN_REFRESH";
    public static final String JWT_ISSUER = "RELAY_JWT_ISSUER";
    public static final String JWT_AUDIENCE = "RELAY_JWT_AUDIENCE";
    public static final String JWT_ALGORITHMS = "RELAY_JWT_ALGORITHMS";
    public static final String JWT_CLOCK_SKEW = "RELAY_JWT_CLOCK_SKEW";
    public static final String JWT_COOKIE = "RELAY_JWT_COOKIE";
    public static final String JWT_QUERY_PARAMETER = "RELAY_JWT_QUERY_PARAMETER";
    public static final String JWT_END_STREAM_AT_EXPIRY = "RELAY_JWT_END_STREAM_AT_EXPIRY";

    /** The variables that configure how signed tokens are checked; set only with a side in jwt mode. */
    public static final List<String> JWT = List.of(JWT_HMAC_SECRET, JWT_PUBLIC_KEYS, JWT_JWKS_URL, JWT_ISSUER,
            JWT_AUDIENCE, JWT_ALGORITHMS, JWT_CLOCK_SKEW, JWT_COOKIE, JWT_QUERY_PARAMETER, JWT_END_STREAM_AT_EXPIRY,
            JWT_JWKS_CACHE, JWT_JWKS_MIN_REFRESH, JWT_JWKS_ALLOW_HTTP);

    private RelayVariables() {
    }
}
