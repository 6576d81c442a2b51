package io.sserelay.relay.stream;

/**
 * Why a subscriber is told, by a {@code reset} event, that it cannot get everything after its
 * id. {@link #code()} is what the event's {@code reason} says (docs/relay.md).
 */
public enum ResetReason {

    /** Events after the subscriber's id are gone: aged out, over the history's budget, or lost with every copy. */
    HISTORY("history"),
    /** The id to resume from is not one this relay gives out for the streams asked; the subscriber starts from now. */
    INVALID_LAST_EVENT_ID("invalid_last_event_id");

    /** What a {@code history} reset says in words. */
    public static final String HISTORY_MESSAGE =
            "events after the last event id are no longer retained; some were missed";

    private final String code;

    ResetReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
