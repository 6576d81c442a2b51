package io.sserelay.relay.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.sserelay.relay.sse.SseEncoder;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.StreamName;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns publish request bodies into validated {@link PublishRequest}s, or throws an
 * {@link ApiError} that says exactly what is wrong. Validates everything before anything is
 * published, so a rejected batch publishes nothing.
 *
 * <p>JSON is read with Jackson's streaming parser rather than its tree model: a {@code data}
 * value that is not a string is sent on as compact JSON, and only the token stream keeps a
 * number's text as the publisher wrote it ({@code 1e999999} would become {@code Infinity},
 * and {@code 12.50} would become {@code 12.5}, through a tree).
 */
final class PublishBodyParser {

    private static final int MAX_TYPE_LENGTH = 200;
    private static final Set<String> SINGLE_FIELDS = Set.of("event", "data");
    private static final Set<String> BATCH_FIELDS = Set.of("stream", "event", "data");
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

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
        return parse(body, parser -> {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw ApiError.badRequest("invalid_json",
                        "the body must be a JSON object {\"event\": ..., \"data\": ...}");
            }
            return List.of(event(parser, stream, "", SINGLE_FIELDS));
        }).get(0);
    }

    List<PublishRequest> batch(byte[] body) {
        return parse(body, parser -> {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw ApiError.badRequest("invalid_json",
                        "the body must be a JSON array of {\"stream\": ..., \"event\": ..., \"data\": ...}");
            }
            List<PublishRequest> requests = new ArrayList<>();
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                if (requests.size() == limits.maxBatchEvents()) {
                    throw ApiError.tooLarge("batch_too_large", "the batch has more than " + limits.maxBatchEvents()
                            + " events; the limit is " + limits.maxBatchEvents());
                }
                String where = "events[" + requests.size() + "]";
                if (token != JsonToken.START_OBJECT) {
                    throw ApiError.badRequest("invalid_json", where + " must be a JSON object");
                }
                requests.add(event(parser, null, where + ".", BATCH_FIELDS));
            }
            if (requests.isEmpty()) {
                throw ApiError.badRequest("empty_batch", "the batch has no events");
            }
            return requests;
        });
    }

    /** Reads one event object; the parser is on its START_OBJECT. A null stream is read from the object. */
    private PublishRequest event(JsonParser parser, String stream, String where, Set<String> fields)
            throws IOException {
        String type = null;
        byte[] data = null;
        JsonToken streamToken = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            if (!fields.contains(name)) {
                throw ApiError.badRequest("unknown_field", "unknown field '" + where + name + "': expected "
                        + String.join(", ", new TreeSet<>(fields)));
            }
            JsonToken value = parser.nextToken();
            switch (name) {
                case "event" -> {
                    if (value == JsonToken.VALUE_STRING) {
                        type = parser.getText();
                    } else if (value != JsonToken.VALUE_NULL) {
                        throw ApiError.badRequest("invalid_event_type", where + "event must be a string");
                    }
                }
                case "data" -> data = dataBytes(parser, where);
                default -> { // "stream", in a batch
                    streamToken = value;
                    stream = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    parser.skipChildren();
                }
            }
        }
        if (fields == BATCH_FIELDS) {
            if (streamToken != JsonToken.VALUE_STRING) {
                throw ApiError.badRequest("missing_stream", where + "stream must be a string naming the stream");
            }
            if (!StreamName.isValid(stream)) {
                throw ApiError.badRequest("invalid_stream_name",
                        where.substring(0, where.length() - 1) + ": " + StreamName.describeInvalid(stream));
            }
        }
        validateType(type, where + "event");
        if (data == null) {
            throw ApiError.badRequest("empty_data", where + "data is missing");
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

    /**
     * A string is the data itself; any other value (object, array, number, true, false, null)
     * is the data as compact JSON, with every number exactly as it was written.
     */
    private static byte[] dataBytes(JsonParser parser, String where) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_STRING) {
            return parser.getText().getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator generator = JSON.createGenerator(out)) {
            int depth = 0;
            do {
                JsonToken token = parser.currentToken();
                if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                    generator.writeNumber(parser.getText());
                } else {
                    generator.copyCurrentEvent(parser);
                }
                if (token.isStructStart()) {
                    depth++;
                } else if (token.isStructEnd()) {
                    depth--;
                }
            } while (depth > 0 && parser.nextToken() != null);
        }
        return out.toByteArray();
    }

    private interface BodyReader {
        List<PublishRequest> read(JsonParser parser) throws IOException;
    }

    private static List<PublishRequest> parse(byte[] body, BodyReader reader) {
        if (body.length == 0) {
            throw ApiError.badRequest("invalid_json", "the body is empty");
        }
        try (JsonParser parser = JSON.createParser(body)) {
            List<PublishRequest> requests = reader.read(parser);
            if (parser.nextToken() != null) {
                throw ApiError.badRequest("invalid_json", "the body has more after its JSON value" + at(parser));
            }
            return requests;
        } catch (StreamConstraintsException e) {
            // Nesting depth, number length and the like; Jackson gives these no location.
            throw ApiError.badRequest("invalid_json", "the body exceeds a JSON limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage()
                    + at(e.getLocation()));
        } catch (IOException e) {
            throw ApiError.badRequest("invalid_json", "the body is not valid JSON: " + e.getMessage());
        }
    }

    private static String at(JsonParser parser) {
        return at(parser.currentTokenLocation());
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
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
