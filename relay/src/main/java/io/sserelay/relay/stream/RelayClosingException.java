package io.sserelay.relay.stream;

/** The relay is shutting down and accepts no new publishes or subscriptions. */
public final class RelayClosingException extends RuntimeException {

    public RelayClosingException() {
        super("the relay is shutting down", null, false, false);
    }
}
