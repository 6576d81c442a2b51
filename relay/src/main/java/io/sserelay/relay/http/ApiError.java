package io.sserelay.relay.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.DateUtils;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error a client caused, answered as {@code {"error": code, "message": text}} with an HTTP
 * status. Thrown to unwind a handler; carries no stack trace because it is not a fault.
 */
public final class ApiError extends RuntimeException {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int status;
    private final String code;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ApiError(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public static ApiError badRequest(String code, String message) {
        return new ApiError(400, code, message);
    }

    public static ApiError tooLarge(String code, String message) {
        return new ApiError(413, code, message);
    }

    public static ApiError unauthorized(String message) {
        return new ApiError(401, "missing_token", message).withHeader("WWW-Authenticate", "Bearer realm=\"sse-relay\"");
    }

    public static ApiError forbidden(String code, String message) {
        return new ApiError(403, code, message);
    }

    public static ApiError shuttingDown() {
        return new ApiError(503, "shutting_down", "the relay is shutting down; retry on another replica")
                .withHeader("Retry-After", "1");
    }

    public ApiError withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public void send(HttpServerExchange exchange) {
        if (!exchange.isRequestComplete()) {
            // Answered before its body was read: close once answered, so the unread rest (perhaps
            // never coming) cannot hold the connection open.
            exchange.setPersistent(false);
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        headers.forEach((name, value) -> exchange.getResponseHeaders().put(new HttpString(name), value));
        exchange.getResponseSender().send(body());
    }

    /**
     * This error as a whole HTTP/1.1 response after which the connection closes, for answering
     * where there is no exchange to send it on ({@link JsonBadRequestConduit}).
     */
    byte[] closingResponse() {
        byte[] body = body().getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ')
                .append(StatusCodes.getReason(status)).append("\r\n")
                .append("Date: ").append(DateUtils.toDateString(new Date())).append("\r\n")
                .append("Content-Type: application/json\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n\r\n");
        ByteArrayOutputStream response = new ByteArrayOutputStream(head.length() + body.length);
        response.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        response.writeBytes(body);
        return response.toByteArray();
    }

    private String body() {
        return JSON.createObjectNode().put("error", code).put("message", getMessage()).toString();
    }
}
