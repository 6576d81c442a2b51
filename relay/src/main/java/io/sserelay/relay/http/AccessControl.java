package io.sserelay.relay.http;

import io.sserelay.relay.auth.AuthFailure;
import io.sserelay.relay.auth.Authenticator;
import io.sserelay.relay.auth.Grant;
import io.sserelay.relay.auth.StaticToken;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Who may publish and who may subscribe, as configured: each side is open, or needs a
 * credential that an {@link Authenticator} turns into a {@link Grant} (a static token grants
 * every stream; a signed token the streams its claims list).
 *
 * <p>The credential is the {@code Authorization: Bearer} header; for subscribers, whose
 * EventSource cannot set headers, also a cookie and, only where enabled, the
 * {@code access_token} query parameter. A refusal is counted by reason and never quotes the
 * credential.
 */
public final class AccessControl {

    /** Where subscribers may put their token when they cannot set a header. */
    static final String QUERY_PARAMETER = "access_token";

    /**
     * One side's rule.
     *
     * @param purpose        what the credential is for, as messages say it ("publishing")
     * @param authenticator  checks the credential
     * @param cookie         the cookie that may carry it, or null
     * @param queryParameter whether {@link #QUERY_PARAMETER} may carry it
     */
    public record Rule(String purpose, Authenticator authenticator, String cookie, boolean queryParameter) {
    }

    private final Rule publish;
    private final Rule subscribe;
    private final BiConsumer<String, String> refused;

    /**
     * @param publish   the rule for publishers, or null when anyone may publish
     * @param subscribe the rule for subscribers, or null when anyone may subscribe
     * @param refused   hears each refusal: the action ({@code publish}, {@code subscribe}) and the reason code
     */
    public AccessControl(Rule publish, Rule subscribe, BiConsumer<String, String> refused) {
        this.publish = publish;
        this.subscribe = subscribe;
        this.refused = refused;
    }

    /** The peer port's rule: the token every relay of a cluster shares, checked as {@link #checkPublish} checks. */
    public static AccessControl forPeers(String peerToken) {
        return new AccessControl(new Rule("peer traffic", new StaticToken("peer traffic", peerToken), null, false), null,
                (action, reason) -> { });
    }

    /** The publisher's grant (or a peer's, on the peer port); throws the refusal as an {@link ApiError}. */
    public Grant checkPublish(HttpServerExchange exchange, RequestTarget target) {
        try {
            return check(publish, exchange, target);
        } catch (AuthFailure failure) {
            throw refusal("publish", failure);
        }
    }

    /**
     * The subscriber's grant.
     *
     * @throws AuthFailure for the caller to answer: a subscriber's refusal depends on its client
     */
    Grant checkSubscribe(HttpServerExchange exchange, RequestTarget target) throws AuthFailure {
        try {
            return check(subscribe, exchange, target);
        } catch (AuthFailure failure) {
            refused.accept("subscribe", failure.reason().code());
            throw failure;
        }
    }

    /** Counts a subscriber's refusal found after its credential was checked, and returns it. */
    AuthFailure subscribeRefused(AuthFailure failure) {
        refused.accept("subscribe", failure.reason().code());
        return failure;
    }

    /** The publisher's grant does not reach {@code stream}: 403, naming it. */
    ApiError publishForbidden(String stream) {
        refused.accept("publish", "forbidden_stream");
        return ApiError.forbidden("forbidden_stream", "the token does not allow publishing to stream '" + stream + "'");
    }

    /** The subscriber's grant does not reach {@code stream}: 403, naming it. */
    ApiError subscribeForbidden(String stream) {
        refused.accept("subscribe", "forbidden_stream");
        return ApiError.forbidden("forbidden_stream", "the token does not allow subscribing to stream '" + stream + "'");
    }

    /** A refusal as an answer: its status, with a WWW-Authenticate challenge on 401. */
    static ApiError refusal(AuthFailure failure) {
        ApiError error = new ApiError(failure.status(), failure.reason().code(), failure.getMessage());
        if (failure.status() == 401) {
            error.withHeader("WWW-Authenticate", failure.reason() == AuthFailure.Reason.MISSING
                    ? "Bearer realm=\"sse-relay\"" : "Bearer realm=\"sse-relay\", error=\"invalid_token\"");
        }
        return error;
    }

    private ApiError refusal(String action, AuthFailure failure) {
        refused.accept(action, failure.reason().code());
        return refusal(failure);
    }

    private static Grant check(Rule rule, HttpServerExchange exchange, RequestTarget target) throws AuthFailure {
        if (rule == null) {
            return Grant.ALL;
        }
        String credential = presented(rule, exchange, target);
        if (credential == null) {
            List<String> ways = new ArrayList<>(List.of("'Authorization: Bearer <token>'"));
            if (rule.cookie() != null) {
                ways.add("the " + rule.cookie() + " cookie");
            }
            if (rule.queryParameter()) {
                ways.add("the " + QUERY_PARAMETER + " query parameter");
            }
            String last = ways.remove(ways.size() - 1);
            throw new AuthFailure(AuthFailure.Reason.MISSING, rule.purpose() + " requires a token: send "
                    + (ways.isEmpty() ? last : String.join(", ", ways) + " or " + last));
        }
        return rule.authenticator().authenticate(credential);
    }

    private static String presented(Rule rule, HttpServerExchange exchange, RequestTarget target) throws AuthFailure {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header != null) {
            if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new AuthFailure(AuthFailure.Reason.MISSING,
                        "the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'");
            }
            String token = header.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        if (rule.cookie() != null) {
            // Not Undertow's cookie parser: it fails the whole request on one cookie it cannot read.
            String cookie = CookieHeader.first(exchange.getRequestHeaders().get(Headers.COOKIE), rule.cookie());
            if (cookie != null && !cookie.isEmpty()) {
                return cookie;
            }
        }
        if (rule.queryParameter()) {
            String value = target.single(QUERY_PARAMETER);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }
}
