package io.sserelay.relay.stream;

import java.util.List;

/**
 * What a new subscription must be sent before live events.
 *
 * @param resumed       true when the subscriber gave a position to resume from
 * @param resetStreams  streams where events after that position are no longer retained
 * @param replay        the retained events after that position, in acceptance order
 * @param position      where the subscriber stands once it has these events: the relay's
 *                      current position
 */
public record CatchUp(boolean resumed, List<String> resetStreams, List<Event> replay, Position position) {

    /** The position the last replayed event leaves the subscriber at, or null when none. */
    public Position positionAfterReplay() {
        return replay.isEmpty() ? null : replay.get(replay.size() - 1).position();
    }
}
