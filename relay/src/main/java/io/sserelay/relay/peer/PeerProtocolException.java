package io.sserelay.relay.peer;

/** A peer sent something the protocol does not allow; the link is dropped. */
final class PeerProtocolException extends Exception {

    private final String reason;

    PeerProtocolException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** A short label for metrics: {@code oversized}, {@code malformed}, {@code unexpected}. */
    String reason() {
        return reason;
    }
}
