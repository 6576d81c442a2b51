package io.sserelay.relay.stream;

/** A {@code Last-Event-ID} that is not a position this relay can resume from; the message says why. */
public final class InvalidPositionException extends RuntimeException {

    public InvalidPositionException(String message) {
        super(message, null, false, false);
    }
}
