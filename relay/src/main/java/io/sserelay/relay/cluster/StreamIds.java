package io.sserelay.relay.cluster;

import io.sserelay.relay.stream.StreamName;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The id of a subscription to several streams ({@code /events}): each stream's place, written
 * {@code name~epoch-offset} and joined by {@code ,}, sorted by name, for example
 * {@code orders~b4x2k9a-3f,prices~9zq01m2-1c}. It names the connection's streams and nothing
 * else, so it grows with them, never with the cluster, and it reads the same whatever order the
 * streams are asked in. A stream read from before its first event is written {@code name~0}
 * ({@link EventId#START}) and its place is null; a stream the id leaves out has no place yet, and
 * a resume reads it from now.
 */
public final class StreamIds {

    private static final char BETWEEN = ',';
    private static final char PLACE = '~';

    private StreamIds() {
    }

    public static String format(Map<String, EventId> places) {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, EventId> place : new TreeMap<>(places).entrySet()) {
            if (text.length() > 0) {
                text.append(BETWEEN);
            }
            text.append(place.getKey()).append(PLACE)
                    .append(place.getValue() == null ? EventId.START : place.getValue().toString());
        }
        return text.toString();
    }

    /**
     * The places an id names, or null for anything that is not such an id (the subscriber then
     * gets a reset), including one that names a stream twice or more than {@code maxStreams}.
     */
    public static Map<String, EventId> parse(String text, int maxStreams) {
        if (text == null || text.length() > maxStreams * (StreamName.MAX_LENGTH + 1 + EventId.MAX_TEXT_LENGTH + 1)) {
            return null;
        }
        Map<String, EventId> places = new TreeMap<>();
        if (text.isEmpty()) {
            return places;
        }
        int from = 0;
        while (from <= text.length()) {
            int end = text.indexOf(BETWEEN, from);
            if (end < 0) {
                end = text.length();
            }
            int tilde = text.indexOf(PLACE, from);
            if (tilde < 0 || tilde > end) {
                return null;
            }
            String stream = text.substring(from, tilde);
            String place = text.substring(tilde + 1, end);
            EventId id = place.equals(EventId.START) ? null : EventId.parse(place);
            if (!StreamName.isValid(stream) || id == null && !place.equals(EventId.START)
                    || places.containsKey(stream) || places.size() == maxStreams) {
                return null;
            }
            places.put(stream, id);
            from = end + 1;
        }
        return Collections.unmodifiableMap(places);
    }
}
