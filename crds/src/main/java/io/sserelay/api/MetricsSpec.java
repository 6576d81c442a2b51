package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.sserelay.api.relay.RelayDefaults;

import java.util.List;

/**
 * Who may read the relays' admin port ({@code /metrics}, health), which the relay Service does
 * not expose. The NetworkPolicy admits it from these peers only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsSpec {

    /** The namespace the NetworkPolicy admits scrapers from when {@code allowedFrom} is not set. */
    public static final String DEFAULT_SCRAPER_NAMESPACE = "monitoring";

    @JsonPropertyDescription("Where Prometheus runs: NetworkPolicy peers (podSelector, namespaceSelector, ipBlock)"
            + " admitted to the admin port (" + RelayDefaults.ADMIN_PORT + "). Not set: every pod of the namespace named monitoring."
            + " An empty list admits nobody; [{namespaceSelector: {}}] admits every pod of the cluster.")
    @Size(max = 20)
    @ValidationRule(value = "self.all(p, has(p.podSelector) || has(p.namespaceSelector) || has(p.ipBlock))",
            message = "each entry of allowedFrom needs a podSelector, a namespaceSelector or an ipBlock;"
                    + " to admit every pod of the cluster use {namespaceSelector: {}}")
    private List<NetworkPolicyPeer> allowedFrom;

    public List<NetworkPolicyPeer> getAllowedFrom() {
        return allowedFrom;
    }

    public void setAllowedFrom(List<NetworkPolicyPeer> allowedFrom) {
        this.allowedFrom = allowedFrom;
    }
}
