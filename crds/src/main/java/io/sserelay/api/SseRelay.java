package io.sserelay.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A cluster of SSE relays: the operator runs {@code spec.replicas} relay pods behind one
 * Service, and every subscriber of a stream gets every event published to any of them.
 *
 * <p>The name names the relay's Service and Deployment, so it must be a DNS label short enough
 * to leave room for the suffixes Kubernetes adds to pod names.
 */
@Group(SseRelay.GROUP)
@Version(SseRelay.VERSION)
@Kind("SseRelay")
@Plural("sserelays")
@ShortNames("ssr")
@AdditionalPrinterColumn(name = "REPLICAS", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "PEERS", jsonPath = ".status.peerCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ENDPOINT", jsonPath = ".status.endpoint", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(value = "self.metadata.name.matches('^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$')",
        message = "the name must be at most 45 characters of a-z, 0-9 and '-', start with a letter and end with a"
                + " letter or digit: it names the relay's Service and Deployment")
public class SseRelay extends CustomResource<SseRelaySpec, SseRelayStatus> implements Namespaced {

    public static final String GROUP = "sserelay.io";
    public static final String VERSION = "v1alpha1";

    @Override
    protected SseRelaySpec initSpec() {
        return new SseRelaySpec();
    }
}
