package io.sserelay.api.relay;

/**
 * What a relay runs with where the SseRelay, or the environment of a relay run by hand, says
 * nothing: the CRD's defaults ({@code @Default}), the relay's own defaults, and the operator's
 * defaults for what it creates are these constants, so that the three cannot drift apart.
 * Durations are written as the relay reads them ({@link DurationText}). The bounds are in
 * {@link RelayLimits}.
 */
public final class RelayDefaults {

    /** Where a relay listens: every interface of its pod. */
    public static final String BIND_ADDRESS = "0.0.0.0";

    /** Relay pods an SseRelay runs. */
    public static final int REPLICAS = 2;

    /** The relay's ports in its pod; the Service maps {@link #SERVICE_PORT} to the HTTP port. */
    public static final int HTTP_PORT = 8080;
    public static final int PEER_PORT = 7070;
    public static final int ADMIN_PORT = 9090;
    public static final int SERVICE_PORT = 80;

    /** The key of a Secret that a {@code secretRef} reads when it names none, and that generated Secrets use. */
    public static final String SECRET_KEY = "token";

    /** A relay container's resources when the SseRelay sets none (see the CRD's {@code resources}). */
    public static final String MEMORY = "320Mi";
    public static final String CPU_REQUEST = "500m";
    public static final String CPU_LIMIT = "2";

    public static final int HISTORY_MAX_EVENTS = 1000;
    public static final String HISTORY_MAX_AGE = "10m";
    public static final int HISTORY_MAX_STREAMS = 1_000_000;
    public static final int HISTORY_MAX_TOMBSTONES = 65_536;

    public static final String HEARTBEAT = "15s";
    public static final int MAX_EVENT_BYTES = 64 * 1024;
    public static final int SUBSCRIBER_BUFFER_BYTES = 1024 * 1024;
    /** 0: no limit. */
    public static final int MAX_CONNECTIONS_PER_ADDRESS = 0;

    public static final String PUBLISH_ACK = "replicated";
    public static final String PUBLISH_ACK_TIMEOUT = "2s";
    public static final String PUBLISH_AUTH = "token";
    public static final boolean PUBLISH_AUTH_DISABLED = false;
    public static final String SUBSCRIBE_AUTH = "none";

    public static final String JWT_CLOCK_SKEW = "30s";
    public static final boolean JWT_QUERY_PARAMETER = false;
    public static final boolean JWT_END_STREAM_AT_EXPIRY = true;
    public static final boolean JWT_JWKS_ALLOW_HTTP = false;

    private RelayDefaults() {
    }
}
