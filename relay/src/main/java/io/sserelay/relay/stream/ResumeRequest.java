package io.sserelay.relay.stream;

/**
 * Where a subscriber asks to resume from: nowhere (a new subscriber), a {@link Position}, or an
 * id that is not one ({@link #unreadable()} says why). The hub answers every one of them with
 * a stream; an id it cannot use starts the subscriber from now, with a {@code reset}.
 */
public record ResumeRequest(Position position, String unreadable) {

    /** A new subscriber. */
    public static final ResumeRequest NONE = new ResumeRequest(null, null);

    /** The request for a {@code Last-Event-ID} (null or empty for none). */
    public static ResumeRequest parse(String lastEventId) {
        if (lastEventId == null || lastEventId.isEmpty()) {
            return NONE;
        }
        try {
            return new ResumeRequest(Position.parse(lastEventId), null);
        } catch (InvalidPositionException e) {
            return new ResumeRequest(null, e.getMessage());
        }
    }

    /** Resuming from {@code position}; null for a new subscriber. */
    public static ResumeRequest from(Position position) {
        return position == null ? NONE : new ResumeRequest(position, null);
    }
}
