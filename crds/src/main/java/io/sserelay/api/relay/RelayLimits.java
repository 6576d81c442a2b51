package io.sserelay.api.relay;

/**
 * The bounds and rules a relay's settings must meet, checked in three places from this one
 * home: the CRD's schema ({@code @Min}, {@code @Max}, validation rules), the operator's checks of
 * what the schema cannot see (the Secrets' contents), and the relay's own start-up checks.
 * Durations are written as the relay reads them ({@link DurationText}).
 */
public final class RelayLimits {

    public static final int MAX_REPLICAS = 100;

    /** A publish, subscribe or peer token: at least this many characters, none of them a space or control character. */
    public static final int MIN_TOKEN_LENGTH = 16;
    /** RFC 7518, section 3.2: an HS256 key is at least as long as the hash. */
    public static final int MIN_HMAC_SECRET_BYTES = 32;

    public static final int MIN_HISTORY_MAX_EVENTS = 0;
    public static final int MAX_HISTORY_MAX_EVENTS = 1_000_000;
    public static final String MIN_HISTORY_MAX_AGE = "1s";
    public static final String MAX_HISTORY_MAX_AGE = "168h";
    public static final long MIN_HISTORY_MAX_BYTES = 1L << 20;
    public static final long MAX_HISTORY_MAX_BYTES = 64L << 30;
    public static final int MIN_HISTORY_MAX_STREAMS = 1;
    public static final int MAX_HISTORY_MAX_STREAMS = 100_000_000;
    public static final int MIN_HISTORY_MAX_TOMBSTONES = 0;
    public static final int MAX_HISTORY_MAX_TOMBSTONES = 100_000_000;

    public static final String MIN_HEARTBEAT = "100ms";
    public static final String MAX_HEARTBEAT = "10m";
    public static final int MIN_MAX_EVENT_BYTES = 1;
    public static final int MAX_MAX_EVENT_BYTES = 1024 * 1024;
    public static final int MIN_SUBSCRIBER_BUFFER_BYTES = 4 * 1024;
    public static final int MAX_SUBSCRIBER_BUFFER_BYTES = 1024 * 1024 * 1024;
    public static final int MIN_MAX_CONNECTIONS_PER_ADDRESS = 0;
    public static final int MAX_MAX_CONNECTIONS_PER_ADDRESS = 1_000_000;

    public static final String MIN_PUBLISH_ACK_TIMEOUT = "10ms";
    public static final String MAX_PUBLISH_ACK_TIMEOUT = "1m";
    public static final String MAX_JWT_CLOCK_SKEW = "5m";

    /** A cookie name is an HTTP token (RFC 6265, section 4.1.1). */
    public static final String COOKIE_NAME = "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}";

    private RelayLimits() {
    }
}
