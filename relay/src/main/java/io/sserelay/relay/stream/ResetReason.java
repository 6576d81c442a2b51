package io.sserelay.relay.stream;

/**
 * Why a subscriber is told, by a {@code reset} event, that it cannot get everything after its
 * position. {@link #code()} is what the event's {@code reason} says (docs/relay.md).
 */
public enum ResetReason {

    /** Events after the subscriber's position are gone: evicted, or never received from a peer. */
    HISTORY("history"),
    /**
     * The subscriber resumed here from a relay that was further along on an origin this relay
     * never learned, and the history's whole age has passed: what that origin published after
     * the subscriber's position is gone everywhere. Clients see {@code history}.
     */
    FLOOR_EXPIRED("history"),
    /** The id to resume from is not one of this cluster's; the subscriber starts from now. */
    INVALID_LAST_EVENT_ID("invalid_last_event_id"),
    /** The id names more of this relay's own events than it has accepted; the subscriber starts from now. */
    AHEAD_OF_RELAY("ahead_of_relay");

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
