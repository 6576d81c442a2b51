package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SseRelay;

/** The operator generates the publish token unless publishing is open or the user named a Secret. */
public class GeneratedPublishTokenCondition implements Condition<Secret, SseRelay> {

    @Override
    public boolean isMet(DependentResource<Secret, SseRelay> dependent, SseRelay relay, Context<SseRelay> context) {
        return generatesPublishToken(relay);
    }

    static boolean generatesPublishToken(SseRelay relay) {
        PublishAuthSpec auth = relay.getSpec().getPublishAuth();
        return auth == null || (auth.getSecretRef() == null && !Boolean.TRUE.equals(auth.getDisabled())
                && auth.getMode() != PublishAuthSpec.Mode.jwt);
    }
}
