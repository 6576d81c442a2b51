package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/**
 * Admits the peer port only from the pods of the same relay; the public port stays open to
 * whoever the cluster lets reach the Service.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class NetworkPolicyDependent extends CRUDKubernetesDependentResource<NetworkPolicy, SseRelay> {

    public NetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected NetworkPolicy desired(SseRelay relay, Context<SseRelay> context) {
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(RelayNames.networkPolicy(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(RelayNames.selector(relay)).endPodSelector()
                .withPolicyTypes("Ingress")
                .withIngress(
                        new NetworkPolicyIngressRuleBuilder()
                                .addNewPort().withProtocol("TCP").withPort(new IntOrString(RelayNames.PEER_PORT)).endPort()
                                .addNewFrom().withNewPodSelector().withMatchLabels(RelayNames.selector(relay))
                                .endPodSelector().endFrom()
                                .build(),
                        new NetworkPolicyIngressRuleBuilder()
                                .addNewPort().withProtocol("TCP").withPort(new IntOrString(RelayNames.HTTP_PORT)).endPort()
                                .build())
                .endSpec()
                .build();
    }
}
