package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.MetricsSpec;
import io.sserelay.api.SseRelay;
import io.sserelay.api.relay.RelayDefaults;

import java.util.ArrayList;
import java.util.List;

/**
 * Admits the peer port only from the pods of the same relay, the admin port ({@code /metrics})
 * only from where Prometheus runs ({@code spec.metrics.allowedFrom}), and the public port from
 * whoever the cluster lets reach the Service.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class NetworkPolicyDependent extends CRUDKubernetesDependentResource<NetworkPolicy, SseRelay> {

    public NetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected NetworkPolicy desired(SseRelay relay, Context<SseRelay> context) {
        List<NetworkPolicyIngressRule> rules = new ArrayList<>();
        rules.add(new NetworkPolicyIngressRuleBuilder()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(RelayDefaults.PEER_PORT)).endPort()
                .addNewFrom().withNewPodSelector().withMatchLabels(RelayNames.selector(relay)).endPodSelector().endFrom()
                .build());
        List<NetworkPolicyPeer> scrapers = scrapers(relay);
        if (!scrapers.isEmpty()) {
            // A rule with no peers would admit everyone; no rule admits no one.
            rules.add(new NetworkPolicyIngressRuleBuilder()
                    .addNewPort().withProtocol("TCP").withPort(new IntOrString(RelayDefaults.ADMIN_PORT)).endPort()
                    .withFrom(scrapers)
                    .build());
        }
        rules.add(new NetworkPolicyIngressRuleBuilder()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(RelayDefaults.HTTP_PORT)).endPort()
                .build());
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(RelayNames.networkPolicy(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(RelayNames.selector(relay)).endPodSelector()
                .withPolicyTypes("Ingress")
                .withIngress(rules)
                .endSpec()
                .build();
    }

    /** Who may scrape: {@code spec.metrics.allowedFrom}, or the pods of the namespace {@code monitoring}. */
    static List<NetworkPolicyPeer> scrapers(SseRelay relay) {
        MetricsSpec metrics = relay.getSpec().getMetrics();
        if (metrics != null && metrics.getAllowedFrom() != null) {
            return metrics.getAllowedFrom();
        }
        return List.of(new NetworkPolicyPeerBuilder().withNewNamespaceSelector()
                .addToMatchLabels("kubernetes.io/metadata.name", MetricsSpec.DEFAULT_SCRAPER_NAMESPACE)
                .endNamespaceSelector().build());
    }
}
