package io.sserelay.relay.stream;

import java.util.List;

/**
 * What a new subscription is sent before live events; a {@link Cursor} turns it into frames.
 *
 * @param requested     the position the subscriber asked to resume from, or null for a new
 *                      subscriber (and for one whose request was {@code refused})
 * @param from          where it continues from: {@code requested} as this relay reads it (see
 *                      {@code Origins#read}), or null for a new subscriber
 * @param resetStreams  streams where events after {@code from} are no longer retained
 * @param replay        the retained events after {@code from}, in acceptance order
 * @param position      the relay's current position
 * @param refused       why the position asked for could not be used, or null
 */
public record CatchUp(Position requested, Position from, List<String> resetStreams, List<Event> replay,
        Position position, Refusal refused) {

    public boolean resumed() {
        return from != null;
    }

    /** A resume position the relay cannot use: the subscriber starts from now, told why. */
    public record Refusal(ResetReason reason, String message) {
    }
}
