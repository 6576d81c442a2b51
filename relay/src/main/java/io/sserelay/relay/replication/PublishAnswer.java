package io.sserelay.relay.replication;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sserelay.relay.stream.Event;

import java.util.List;

/**
 * The body of a publish's {@code 202}: {@code {"stream": s, "id": id}} for one event,
 * {@code {"ids": [...]}} for a batch. Made here because an idempotency record keeps it, on the
 * relay that answered and on the peers that committed the same events.
 */
public final class PublishAnswer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PublishAnswer() {
    }

    public static String of(boolean single, List<Event> events) {
        ObjectNode body = JSON.createObjectNode();
        if (single) {
            body.put("stream", events.get(0).stream()).put("id", events.get(0).position().format());
        } else {
            ArrayNode ids = body.putArray("ids");
            events.forEach(e -> ids.add(e.position().format()));
        }
        return body.toString();
    }
}
