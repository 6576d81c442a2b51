package io.sserelay.relay.auth;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A token's compact form checked by shape and by JSON type before any key touches it: three
 * base64url segments (RFC 7515, section 7.1: no padding, no white space), a header and claims
 * that are UTF-8 JSON objects, an {@code alg} that is a string, {@code exp} a JSON number and
 * {@code nbf}/{@code iat} numbers when present, {@code iss}/{@code sub}/{@code jti} strings and
 * {@code aud} a string or a list of strings. Anything else is {@link AuthFailure.Reason#INVALID}:
 * a client that sends odd JSON learns which rule it broke, and no library below ever sees a value
 * of a type it does not expect. The rights claims are checked where they are read
 * ({@link JwtAuthenticator}).
 *
 * @param header      the decoded header
 * @param claims      the decoded claims
 * @param expSeconds  {@code exp}, whole seconds since the epoch (fractions dropped, as Nimbus does)
 * @param nbfSeconds  {@code nbf}, or null
 * @param iatSeconds  {@code iat}, or null
 */
record CompactToken(Map<String, Object> header, Map<String, Object> claims, long expSeconds, Long nbfSeconds,
        Long iatSeconds) {

    /** The latest NumericDate accepted: the end of year 9999, far beyond any real token and any overflow. */
    static final long MAX_NUMERIC_DATE = 253_402_300_799L;
    /** A longer token is refused before it is decoded; real ones are a few kilobytes. */
    static final int MAX_LENGTH = 16 * 1024;

    static CompactToken parse(String text) throws AuthFailure {
        if (text.length() > MAX_LENGTH) {
            throw invalid("the token is " + text.length() + " characters long; at most " + MAX_LENGTH + " are accepted");
        }
        int first = text.indexOf('.');
        int second = first < 0 ? -1 : text.indexOf('.', first + 1);
        if (second < 0 || text.indexOf('.', second + 1) >= 0) {
            throw invalid("the token is not a JWT: it must be three base64url parts separated by dots");
        }
        String headerPart = text.substring(0, first);
        String claimsPart = text.substring(first + 1, second);
        String signaturePart = text.substring(second + 1);
        for (String part : List.of(headerPart, claimsPart, signaturePart)) {
            if (!isBase64Url(part)) {
                throw invalid("the token is not a JWT: a part holds a character outside base64url"
                        + " (A-Z a-z 0-9 - _, no padding or spaces)");
            }
        }
        if (headerPart.isEmpty() || claimsPart.isEmpty()) {
            throw invalid("the token is not a JWT: its header or claims part is empty");
        }
        Map<String, Object> header = object(headerPart, "header");
        Map<String, Object> claims = object(claimsPart, "claims");
        if (!(header.get("alg") instanceof String)) {
            throw invalid("the token's header must name its algorithm as a string (alg)");
        }
        requireString(header, "kid", "header");
        requireString(header, "typ", "header");
        requireString(header, "cty", "header");
        requireString(claims, "iss", "claims");
        requireString(claims, "sub", "claims");
        requireString(claims, "jti", "claims");
        Object aud = claims.get("aud");
        if (claims.containsKey("aud") && !(aud instanceof String)
                && !(aud instanceof List<?> list && list.stream().allMatch(String.class::isInstance))) {
            throw invalid("the token's aud claim must be a string or a list of strings");
        }
        if (!claims.containsKey("exp")) {
            throw invalid("the token has no exp claim; every token must say when it expires");
        }
        long exp = numericDate(claims, "exp");
        Long nbf = claims.containsKey("nbf") ? numericDate(claims, "nbf") : null;
        Long iat = claims.containsKey("iat") ? numericDate(claims, "iat") : null;
        return new CompactToken(header, claims, exp, nbf, iat);
    }

    private static boolean isBase64Url(String part) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) {
                return false;
            }
        }
        // A length of 1 modulo 4 cannot come from whole bytes.
        return part.length() % 4 != 1;
    }

    private static Map<String, Object> object(String part, String what) throws AuthFailure {
        String json;
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(part);
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw invalid("the token's " + what + " is not base64url-encoded UTF-8");
        }
        if (!json.strip().startsWith("{")) {
            throw invalid("the token's " + what + " must be a JSON object");
        }
        try {
            Map<String, Object> parsed = JSONObjectUtils.parse(json);
            if (parsed == null) {
                throw invalid("the token's " + what + " must be a JSON object");
            }
            return parsed;
        } catch (ParseException | RuntimeException e) {
            // Gson's own failures on deep or odd input are runtime exceptions: still only bad input.
            throw invalid("the token's " + what + " is not a valid JSON object");
        }
    }

    private static void requireString(Map<String, Object> json, String name, String where) throws AuthFailure {
        if (json.containsKey(name) && !(json.get(name) instanceof String)) {
            throw invalid("the token's " + name + " (in its " + where + ") must be a string");
        }
    }

    /** A NumericDate (RFC 7519, section 2): a JSON number of seconds, here between 0 and {@link #MAX_NUMERIC_DATE}. */
    private static long numericDate(Map<String, Object> claims, String name) throws AuthFailure {
        if (!(claims.get(name) instanceof Number number)) {
            throw invalid("the token's " + name + " claim must be a number of seconds since 1970 (a NumericDate)");
        }
        double seconds = number.doubleValue();
        if (!(seconds >= 0 && seconds <= MAX_NUMERIC_DATE)) {
            throw invalid("the token's " + name + " claim must be a number of seconds between 0 and "
                    + MAX_NUMERIC_DATE);
        }
        return number.longValue();
    }

    private static AuthFailure invalid(String message) {
        return new AuthFailure(AuthFailure.Reason.INVALID, message);
    }
}
