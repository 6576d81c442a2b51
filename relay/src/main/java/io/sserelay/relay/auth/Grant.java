package io.sserelay.relay.auth;

/**
 * What an authenticated client may do: which streams it may subscribe to and publish to, and
 * until when.
 *
 * @param subscribe        the streams it may subscribe to
 * @param publish          the streams it may publish to
 * @param expiresAtMillis  until when its credential is good (milliseconds since the epoch): a
 *                         signed token's {@code exp} plus the clock skew; 0 for never
 */
public record Grant(StreamPatterns subscribe, StreamPatterns publish, long expiresAtMillis) {

    /** Anyone, or the holder of a static token: every stream, for ever. */
    public static final Grant ALL = new Grant(StreamPatterns.ALL, StreamPatterns.ALL, 0);

    public boolean maySubscribe(String stream) {
        return subscribe.matches(stream);
    }

    public boolean mayPublish(String stream) {
        return publish.matches(stream);
    }
}
