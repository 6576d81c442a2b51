package io.sserelay.relay.stream;

import java.util.List;

/**
 * What a new subscription must be sent before live events.
 *
 * @param from          the position the subscriber resumed from, or null for a new subscriber
 * @param resetStreams  streams where events after that position are no longer retained
 * @param replay        the retained events after that position, in acceptance order
 * @param position      the relay's current position
 * @param resetId       where the subscriber continues from when that is not {@code from}: the id
 *                      the {@code reset} must carry so that a reconnect is not told again; null
 *                      when {@code from} is right
 */
public record CatchUp(Position from, List<String> resetStreams, List<Event> replay, Position position,
        Position resetId) {

    public boolean resumed() {
        return from != null;
    }
}
