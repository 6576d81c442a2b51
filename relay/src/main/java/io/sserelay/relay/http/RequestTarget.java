package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The path and query parameters of a request, decoded strictly from the raw request target,
 * and the one rule for parameters that every endpoint follows: a parameter an endpoint does
 * not take is refused ({@code unexpected_parameter}), and so is a second value for one that
 * takes a single value ({@code repeated_parameter}), because a typo or an ambiguity must not
 * silently change what is published or subscribed to.
 *
 * <p>Why the relay decodes instead of Undertow: Undertow's decoder drops {@code ;...} from
 * a path segment as a path parameter (so {@code /streams/a;b} would mean stream {@code a}),
 * and refuses bytes it cannot decode with a bare 400 that carries no JSON error. The relay
 * runs Undertow with URL decoding off and decodes here, where every failure is an
 * {@link ApiError}. Percent-escapes are decoded as UTF-8 in the path and the query; in the
 * query {@code +} is a space, as HTML forms and {@code URLSearchParams} encode it.
 */
public final class RequestTarget {

    private final String path;
    private final Map<String, List<String>> parameters;

    RequestTarget(String path, Map<String, List<String>> parameters) {
        this.path = path;
        this.parameters = parameters;
    }

    /** Decodes the exchange's raw target; Undertow must run with {@code DECODE_URL} off. */
    public static RequestTarget of(HttpServerExchange exchange) {
        // With decoding off, the request URI is the raw path including any ';' parameters. For
        // an absolute-form target ("http://host/path") it is the whole URL: the path is what
        // follows the authority (Undertow's own request path has lost the ';' part there too).
        String rawPath = exchange.getRequestURI();
        if (exchange.isHostIncludedInRequestURI()) {
            int slash = rawPath.indexOf('/', rawPath.indexOf("://") + 3);
            rawPath = slash < 0 ? "/" : rawPath.substring(slash);
        }
        return parse(rawPath, exchange.getQueryString());
    }

    /** {@code rawPath} and {@code rawQuery} as sent, one char per byte; the query may be null. */
    static RequestTarget parse(String rawPath, String rawQuery) {
        String path = decode(rawPath, false, "the request path");
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue; // "a=1&&b=2" and a trailing '&' carry no parameter
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals), true, "a query parameter name");
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1), true,
                        "the value of query parameter '" + name + "'");
                parameters.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
            }
        }
        return new RequestTarget(path, parameters);
    }

    public String path() {
        return path;
    }

    /**
     * Refuses every parameter not in {@code accepted}; {@code endpoint} names the endpoint in
     * the message, e.g. {@code POST /streams/{stream}}.
     */
    public void acceptOnly(String endpoint, Set<String> accepted) {
        for (String name : parameters.keySet()) {
            if (!accepted.contains(name)) {
                String takes = accepted.isEmpty() ? "it takes no query parameters"
                        : "it takes " + String.join(", ", new TreeSet<>(accepted));
                throw ApiError.badRequest("unexpected_parameter", "query parameter '" + printable(name)
                        + "' is not accepted by " + endpoint + "; " + takes);
            }
        }
    }

    /** The one value of {@code name}, or null when it is absent; refuses a repeated one. */
    public String single(String name) {
        List<String> values = parameters.get(name);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiError.badRequest("repeated_parameter", "query parameter '" + name + "' is given "
                    + values.size() + " times; give it once");
        }
        return values.get(0);
    }

    /** Every value of {@code name} in order, or an empty list. */
    List<String> all(String name) {
        return parameters.getOrDefault(name, List.of());
    }

    private static String decode(String raw, boolean plusIsSpace, String what) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = high >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (low < 0) {
                    throw ApiError.badRequest("invalid_url", what + " has a '%' that does not start an escape"
                            + " of two hex digits such as %2F");
                }
                bytes.write(high * 16 + low);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                bytes.write(' ');
            } else {
                bytes.write(c); // a raw byte of the request line, as Undertow read it
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("invalid_url", what + " is not UTF-8 once its escapes are decoded");
        }
    }

    /** A name for an error message: control characters escaped, at most 100 characters. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < 100; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return text.length() > 100 ? out + "..." : out.toString();
    }
}
