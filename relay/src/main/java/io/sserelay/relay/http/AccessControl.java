package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;

/** Who may publish and who may subscribe, as configured. */
public final class AccessControl {

    private final BearerToken publish;
    private final BearerToken subscribe;

    /**
     * @param publishToken   the token publishers must present, or null when publishing is open
     * @param subscribeToken the token subscribers must present, or null when subscribing is open
     */
    public AccessControl(String publishToken, String subscribeToken) {
        this.publish = publishToken == null ? null : new BearerToken("publishing", publishToken, false);
        this.subscribe = subscribeToken == null ? null : new BearerToken("subscribing", subscribeToken, true);
    }

    void checkPublish(HttpServerExchange exchange, RequestTarget target) {
        if (publish != null) {
            publish.check(exchange, target);
        }
    }

    void checkSubscribe(HttpServerExchange exchange, RequestTarget target) {
        if (subscribe != null) {
            subscribe.check(exchange, target);
        }
    }
}
