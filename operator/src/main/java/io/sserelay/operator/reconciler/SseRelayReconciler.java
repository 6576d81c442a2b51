package io.sserelay.operator.reconciler;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelayStatus;
import io.sserelay.operator.dependent.AutoscalerDependent;
import io.sserelay.operator.dependent.AutoscalingCondition;
import io.sserelay.operator.dependent.DeploymentDependent;
import io.sserelay.operator.dependent.DisruptionBudgetDependent;
import io.sserelay.operator.dependent.GeneratedPublishTokenCondition;
import io.sserelay.operator.dependent.NetworkPolicyDependent;
import io.sserelay.operator.dependent.PeerTokenSecretDependent;
import io.sserelay.operator.dependent.PublishTokenSecretDependent;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.dependent.RoleBindingDependent;
import io.sserelay.operator.dependent.RoleDependent;
import io.sserelay.operator.dependent.ServiceAccountDependent;
import io.sserelay.operator.dependent.ServiceDependent;
import io.sserelay.operator.dependent.SeveralReplicasCondition;
import io.sserelay.operator.status.SpecProblems;
import io.sserelay.operator.status.StatusAggregator;
import io.sserelay.operator.status.TransitionEvents;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Reconciles an SseRelay: the workflow applies every owned object (server-side apply), then
 * this class writes the status the {@link StatusAggregator} computes from the relay pods,
 * only when it changed, and records an Event when readiness or health changes.
 *
 * <p>A spec the schema accepts but that cannot work (a missing Secret) makes the SseRelay
 * Degraded and is looked at again every {@link #RECHECK} rather than retried in a storm.
 */
@Workflow(dependents = {
    @Dependent(name = "peer-token", type = PeerTokenSecretDependent.class),
    @Dependent(name = "publish-token", type = PublishTokenSecretDependent.class,
            reconcilePrecondition = GeneratedPublishTokenCondition.class),
    @Dependent(name = "service-account", type = ServiceAccountDependent.class),
    @Dependent(name = "role", type = RoleDependent.class),
    @Dependent(name = "role-binding", type = RoleBindingDependent.class, dependsOn = {"service-account", "role"}),
    // After the peer token, whose hash goes on the pods (the publish token may be the user's).
    @Dependent(name = "deployment", type = DeploymentDependent.class, dependsOn = "peer-token"),
    @Dependent(name = "service", type = ServiceDependent.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class,
            reconcilePrecondition = SeveralReplicasCondition.class),
    @Dependent(name = "network-policy", type = NetworkPolicyDependent.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class, reconcilePrecondition = AutoscalingCondition.class)
})
@ControllerConfiguration(name = SseRelayReconciler.NAME)
public class SseRelayReconciler implements Reconciler<SseRelay> {

    public static final String NAME = "sserelay";
    static final Duration RECHECK = Duration.ofSeconds(10);
    /**
     * How often an SseRelay that names Secrets of the user's is looked at again, so that a
     * rotated token or key rolls the relays (see {@code DeploymentDependent.tokensHash}). The
     * operator reads only the Secrets named, rather than watching every Secret it may read.
     */
    public static final Duration SECRETS_RECHECK = Duration.ofSeconds(30);

    private final Clock clock;

    public SseRelayReconciler() {
        this(Clock.systemUTC());
    }

    SseRelayReconciler(Clock clock) {
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, SseRelay>> prepareEventSources(EventSourceContext<SseRelay> context) {
        return List.of(RelayPodEventSource.create(context));
    }

    @Override
    public UpdateControl<SseRelay> reconcile(SseRelay relay, Context<SseRelay> context) {
        Instant now = clock.instant();
        List<String> problems = SpecProblems.find(relay, context.getClient());
        SseRelayStatus before = relay.getStatus();
        SseRelayStatus after = StatusAggregator.aggregate(relay, context.getSecondaryResources(Pod.class), problems,
                StatusAggregator.INVALID_SPEC, before, now);
        UpdateControl<SseRelay> control = StatusAggregator.sameAs(before, after)
                ? UpdateControl.noUpdate()
                : UpdateControl.patchStatus(withStatus(relay, after));
        if (!StatusAggregator.sameAs(before, after)) {
            TransitionEvents.record(context.getClient(), relay, before, after, now);
        }
        if (!problems.isEmpty()) {
            return control.rescheduleAfter(RECHECK);
        }
        return RelayNames.namedSecrets(relay).isEmpty() ? control : control.rescheduleAfter(SECRETS_RECHECK);
    }

    @Override
    public ErrorStatusUpdateControl<SseRelay> updateErrorStatus(SseRelay relay, Context<SseRelay> context,
            Exception e) {
        SseRelayStatus after = StatusAggregator.aggregate(relay, context.getSecondaryResources(Pod.class),
                List.of("reconciling failed, will retry: " + e.getMessage()), StatusAggregator.RECONCILE_FAILED,
                relay.getStatus(), clock.instant());
        return ErrorStatusUpdateControl.patchStatus(withStatus(relay, after));
    }

    /**
     * A fresh object with only what identifies the SseRelay and the new status, for server-side
     * apply, on the resource version the status was computed from: were the cache behind, the
     * apply fails and the reconciliation runs again. The peers depend on the status before (a
     * relay once listed stays while its container runs), so a status computed from an old one
     * could otherwise write an old peers generation over a newer one, and two peer sets would
     * share a generation.
     */
    private static SseRelay withStatus(SseRelay relay, SseRelayStatus status) {
        SseRelay fresh = new SseRelay();
        fresh.setMetadata(new ObjectMetaBuilder()
                .withName(relay.getMetadata().getName())
                .withNamespace(relay.getMetadata().getNamespace())
                .withResourceVersion(relay.getMetadata().getResourceVersion())
                .build());
        fresh.setStatus(status);
        return fresh;
    }
}
