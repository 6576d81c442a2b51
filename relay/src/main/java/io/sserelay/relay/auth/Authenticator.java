package io.sserelay.relay.auth;

/** Turns a presented credential into what its holder may do. Thread-safe. */
@FunctionalInterface
public interface Authenticator {

    /**
     * @param credential the bearer token as presented, never null
     * @throws AuthFailure when it does not let its holder in
     */
    Grant authenticate(String credential) throws AuthFailure;
}
