package io.sserelay.relay.stream;

/**
 * A validated event to publish: a valid stream name, a type without CR, LF or NUL (or null),
 * and non-empty UTF-8 data within the configured size.
 */
public record PublishRequest(String stream, String type, byte[] data) {
}
