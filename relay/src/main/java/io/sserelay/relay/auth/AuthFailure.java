package io.sserelay.relay.auth;

/**
 * A credential that does not let its holder in. {@link #reason()} is a short code for the
 * refusal metric and the error body; the message says what is wrong without quoting the
 * credential.
 */
public final class AuthFailure extends Exception {

    /** Why a credential was refused. */
    public enum Reason {
        /** No credential was presented. */
        MISSING("missing_token"),
        /** Not a token of the expected form, or a static token that is not the one configured. */
        INVALID("invalid_token"),
        /** A signed token whose algorithm is not allowed (never {@code none}). */
        ALGORITHM("algorithm_not_allowed"),
        /** No key this relay knows matches the token's key id and algorithm. */
        UNKNOWN_KEY("unknown_key"),
        /** The signature does not verify. */
        SIGNATURE("bad_signature"),
        EXPIRED("token_expired"),
        NOT_YET_VALID("token_not_yet_valid"),
        ISSUER("wrong_issuer"),
        AUDIENCE("wrong_audience"),
        /** The keys could not be had (a JWKS URL that does not answer). */
        KEYS_UNAVAILABLE("keys_unavailable");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;
    private final int status;

    /** A refusal answered 401: the client should come back with another credential. */
    public AuthFailure(Reason reason, String message) {
        this(reason, 401, message);
    }

    public AuthFailure(Reason reason, int status, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.status = status;
    }

    public Reason reason() {
        return reason;
    }

    /** The HTTP status to answer with. */
    public int status() {
        return status;
    }

    /**
     * Whether the credential may be good again later without being changed on the client's
     * side: a browser whose cookie is about to be refreshed, or keys that could not be fetched.
     */
    public boolean mayPassLater() {
        return reason == Reason.EXPIRED || reason == Reason.NOT_YET_VALID || reason == Reason.KEYS_UNAVAILABLE;
    }
}
