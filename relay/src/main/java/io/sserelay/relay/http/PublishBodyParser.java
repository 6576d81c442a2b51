package io.sserelay.relay.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sserelay.relay.sse.SseEncoder;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.StreamName;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Turns publish request bodies into validated {@link PublishRequest}s, or throws an
 * {@link ApiError} that says exactly what is wrong. Validates everything before anything is
 * published, so a rejected batch publishes nothing.
 */
final class PublishBodyParser {

    private static final int MAX_TYPE_LENGTH = 200;
    private static final Set<String> SINGLE_FIELDS = Set.of("event", "data");
    private static final Set<String> BATCH_FIELDS = Set.of("stream", "event", "data");

    private final ObjectMapper json = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final PublishLimits limits;

    PublishBodyParser(PublishLimits limits) {
        this.limits = limits;
    }

    PublishRequest text(String stream, String type, byte[] body) {
        validateType(type, "the event query parameter");
        if (body.length == 0) {
            throw ApiError.badRequest("empty_data", "event data is empty: send the data as the request body");
        }
        requireUtf8(body);
        return new PublishRequest(stream, type, body);
    }

    PublishRequest json(String stream, byte[] body) {
        JsonNode root = parse(body);
        if (!root.isObject()) {
            throw ApiError.badRequest("invalid_json", "the body must be a JSON object {\"event\": ..., \"data\": ...}");
        }
        return event(stream, root, "", SINGLE_FIELDS);
    }

    List<PublishRequest> batch(byte[] body) {
        JsonNode root = parse(body);
        if (!root.isArray()) {
            throw ApiError.badRequest("invalid_json",
                    "the body must be a JSON array of {\"stream\": ..., \"event\": ..., \"data\": ...}");
        }
        if (root.isEmpty()) {
            throw ApiError.badRequest("empty_batch", "the batch has no events");
        }
        if (root.size() > limits.maxBatchEvents()) {
            throw ApiError.tooLarge("batch_too_large", "the batch has " + root.size() + " events; the limit is "
                    + limits.maxBatchEvents());
        }
        List<PublishRequest> requests = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode item = root.get(i);
            String where = "events[" + i + "]";
            if (!item.isObject()) {
                throw ApiError.badRequest("invalid_json", where + " must be a JSON object");
            }
            JsonNode streamNode = item.get("stream");
            if (streamNode == null || !streamNode.isTextual()) {
                throw ApiError.badRequest("missing_stream", where + ".stream must be a string naming the stream");
            }
            String stream = streamNode.asText();
            if (!StreamName.isValid(stream)) {
                throw ApiError.badRequest("invalid_stream_name", where + ": " + StreamName.describeInvalid(stream));
            }
            requests.add(event(stream, item, where + ".", BATCH_FIELDS));
        }
        return requests;
    }

    private PublishRequest event(String stream, JsonNode node, String where, Set<String> fields) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw ApiError.badRequest("unknown_field", "unknown field '" + where + name + "': expected "
                        + String.join(", ", fields.stream().sorted().toList()));
            }
        }
        String type = null;
        JsonNode typeNode = node.get("event");
        if (typeNode != null && !typeNode.isNull()) {
            if (!typeNode.isTextual()) {
                throw ApiError.badRequest("invalid_event_type", where + "event must be a string");
            }
            type = typeNode.asText();
            validateType(type, where + "event");
        }
        JsonNode dataNode = node.get("data");
        if (dataNode == null || dataNode.isNull()) {
            throw ApiError.badRequest("empty_data", where + "data is missing");
        }
        byte[] data;
        try {
            data = dataNode.isTextual()
                    ? dataNode.asText().getBytes(StandardCharsets.UTF_8)
                    : json.writeValueAsBytes(dataNode);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", where + "data cannot be serialized: " + e.getOriginalMessage());
        }
        if (data.length == 0) {
            throw ApiError.badRequest("empty_data", where + "data is an empty string");
        }
        if (data.length > limits.maxEventBytes()) {
            throw ApiError.tooLarge("event_too_large", where + "data is " + data.length + " bytes; the limit is "
                    + limits.maxEventBytes());
        }
        return new PublishRequest(stream, type, data);
    }

    private JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw ApiError.badRequest("invalid_json", "the body is empty");
        }
        try {
            return json.readTree(body);
        } catch (StreamConstraintsException e) {
            // Nesting depth, number length and the like; Jackson gives these no location.
            throw ApiError.badRequest("invalid_json", "the body exceeds a JSON limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw ApiError.badRequest("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("invalid_json", "the body is not valid JSON: " + e.getMessage());
        }
    }

    /** Null means no type (the client sees {@code message}). */
    static void validateType(String type, String where) {
        if (type == null) {
            return;
        }
        if (type.isEmpty()) {
            throw ApiError.badRequest("invalid_event_type", where + " is empty: omit it for the default 'message'");
        }
        if (type.length() > MAX_TYPE_LENGTH) {
            throw ApiError.badRequest("invalid_event_type", where + " is " + type.length()
                    + " characters long; the limit is " + MAX_TYPE_LENGTH);
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                throw ApiError.badRequest("invalid_event_type", where + " must not contain CR, LF or NUL");
            }
        }
        if (type.equals(SseEncoder.RESET_TYPE)) {
            throw ApiError.badRequest("reserved_event_type", "event type 'reset' is reserved for the relay's "
                    + "notice that events were missed");
        }
    }

    private static void requireUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("invalid_utf8", "the body is not valid UTF-8");
        }
    }
}
