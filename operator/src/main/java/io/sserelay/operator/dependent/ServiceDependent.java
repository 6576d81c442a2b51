package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.RelayServiceSpec;
import io.sserelay.api.SseRelay;

import java.util.Map;

/** The Service publishers and subscribers use, {@code <name>}; only the public port. */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class ServiceDependent extends CRUDKubernetesDependentResource<Service, SseRelay> {

    public ServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(SseRelay relay, Context<SseRelay> context) {
        RelayServiceSpec spec = relay.getSpec().getService();
        String type = spec == null || spec.getType() == null ? "ClusterIP" : spec.getType().name();
        Map<String, String> annotations = spec == null || spec.getAnnotations() == null ? Map.of() : spec.getAnnotations();
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(RelayNames.service(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withType(type)
                .withSelector(RelayNames.selector(relay))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(relay.getSpec().servicePortOrDefault())
                .withTargetPort(new IntOrString("http"))
                .endPort()
                .endSpec()
                .build();
    }

}
