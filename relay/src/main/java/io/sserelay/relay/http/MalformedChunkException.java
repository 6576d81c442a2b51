package io.sserelay.relay.http;

import java.io.IOException;

/**
 * A chunked request body that breaks the chunked coding; its message says how, for the client
 * ({@code 400 malformed_chunk}).
 */
final class MalformedChunkException extends IOException {

    MalformedChunkException(String message) {
        super(message);
    }
}
