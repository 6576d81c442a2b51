package io.sserelay.relay.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What a {@link Cursor} decided, one line per step, as a test reads it. */
final class RecordingDelivery implements Cursor.Delivery {

    final List<String> steps = new ArrayList<>();
    /** What each reset said in words, in order. */
    final List<String> resetMessages = new ArrayList<>();
    /** The id the last reset moved the subscriber to, or null. */
    Position resetTo;

    @Override
    public void reset(List<String> streams, ResetReason reason, String message, Position continueFrom) {
        resetTo = continueFrom;
        resetMessages.add(message);
        steps.add("reset " + streams + " " + reason + (continueFrom == null ? "" : " -> " + continueFrom));
    }

    @Override
    public void event(Event event) {
        steps.add("event " + data(event) + " " + event.position());
    }

    @Override
    public void event(Event event, Position id) {
        steps.add("event " + data(event) + " " + id + " (own id)");
    }

    @Override
    public void position(Position id) {
        steps.add("id " + id);
    }

    private static String data(Event event) {
        return new String(event.data(), StandardCharsets.UTF_8);
    }
}
