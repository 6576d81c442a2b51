package io.sserelay.relay.http;

import io.sserelay.relay.config.RelayConfig;
import io.undertow.server.HttpServerExchange;

/** Who may publish and who may subscribe, as configured. */
public final class AccessControl {

    private final BearerToken publish;
    private final BearerToken subscribe;

    public AccessControl(RelayConfig config) {
        this.publish = config.publishAuthDisabled() ? null : new BearerToken("publishing", config.publishToken(), false);
        this.subscribe = config.subscribeToken() == null ? null
                : new BearerToken("subscribing", config.subscribeToken(), true);
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
