package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.PodOverrides;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayEnvironment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The relay Deployment, {@code <name>}: {@code spec.replicas} relay pods with the relay's
 * configuration in their environment, probes on its health endpoints, and a short
 * {@code preStop} pause so that Services stop sending new connections before the relay drains.
 * Rolling updates add a pod before removing one, so subscribers always have somewhere to go.
 * The pods are sized ({@link RelayResources}) and spread over nodes and zones
 * ({@link #defaultSpread}) unless the spec says otherwise.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class DeploymentDependent extends CRUDKubernetesDependentResource<Deployment, SseRelay> {

    /**
     * A hash of the Secrets the relays read at start: a generated token Secret created anew, or
     * a Secret of the user's that changed, rolls the pods onto it.
     */
    public static final String TOKENS_ANNOTATION = "sserelay.io/tokens-hash";
    private static final long PRE_STOP_SECONDS = 5;
    /** Startup probes a second apart before the kubelet restarts a relay that never answers: two minutes. */
    static final int STARTUP_PROBES = 120;
    /** The name of the relay container's admin port, which config/monitoring's PodMonitor scrapes. */
    public static final String ADMIN_PORT_NAME = "admin";

    private final String defaultImage;

    public DeploymentDependent(String defaultImage) {
        super(Deployment.class);
        this.defaultImage = defaultImage;
    }

    /**
     * Pods read their tokens and keys from Secrets once, at start. A generated Secret that was
     * deleted comes back with a new token, and pods started before would keep the old one: half
     * the relays would refuse the other half's peer traffic, and publishers would be accepted or
     * not depending on the pod. A Secret of the user's changes when a token or key is rotated.
     * Hashing them into the pod template rolls every pod onto what the Secrets hold now. The
     * user's Secrets are read here, on every reconciliation (the reconciler comes back to an
     * SseRelay that names some at least every {@code SseRelayReconciler.SECRETS_RECHECK}).
     */
    static String tokensHash(SseRelay relay, Context<SseRelay> context) {
        List<Secret> secrets = new ArrayList<>(context.getSecondaryResources(Secret.class));
        for (String name : RelayNames.namedSecrets(relay)) {
            Secret secret = context.getClient().secrets().inNamespace(relay.getMetadata().getNamespace())
                    .withName(name).get();
            if (secret != null) {
                secrets.add(secret);
            }
        }
        return tokensHash(relay, secrets);
    }

    /**
     * The hash of {@code relay}'s Secrets among {@code secrets}: the generated ones by their data
     * (random tokens), the user's by their uid and resource version, so that a token a person
     * chose never goes into a hash anyone who can read the pod could test guesses against.
     */
    public static String tokensHash(SseRelay relay, Collection<Secret> secrets) {
        Set<String> generated = Set.of(RelayNames.peerTokenSecret(relay), RelayNames.publishTokenSecret(relay));
        Set<String> named = RelayNames.namedSecrets(relay);
        TreeMap<String, String> state = new TreeMap<>();
        for (Secret s : secrets) {
            String name = s.getMetadata().getName();
            if (named.contains(name)) {
                state.put(name, s.getMetadata().getUid() + "/" + s.getMetadata().getResourceVersion());
            } else if (generated.contains(name)) {
                state.put(name, String.valueOf(new TreeMap<>(s.getData())));
            }
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            state.forEach((name, data) -> sha.update((name + "=" + data + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    @Override
    protected Deployment desired(SseRelay relay, Context<SseRelay> context) {
        SseRelaySpec spec = relay.getSpec();
        PodOverrides pod = spec.getPod() == null ? new PodOverrides() : spec.getPod();
        Map<String, String> podLabels = new HashMap<>(pod.getLabels() == null ? Map.of() : pod.getLabels());
        podLabels.putAll(RelayNames.labels(relay));
        Map<String, String> podAnnotations = new HashMap<>(pod.getAnnotations() == null ? Map.of() : pod.getAnnotations());
        podAnnotations.put(TOKENS_ANNOTATION, tokensHash(relay, context));

        ResourceRequirements resources = RelayResources.of(spec.getResources());
        List<EnvVar> env = new ArrayList<>(RelayEnvironment.of(relay, RelayNames.peerTokenSecret(relay),
                RelayNames.publishTokenSecret(relay)));
        // The java launcher reads this; the image's own options (relay/jvm.options) size the heap
        // from the memory limit. Without it a JVM under no CPU limit counts every core of the node.
        env.add(new EnvVarBuilder().withName("JDK_JAVA_OPTIONS")
                .withValue("-XX:ActiveProcessorCount=" + RelayResources.processors(resources)).build());

        PodSpecBuilder podSpec = new PodSpecBuilder()
                .withServiceAccountName(RelayNames.relayIdentity(relay))
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(30L)
                .withNodeSelector(pod.getNodeSelector())
                .withTolerations(pod.getTolerations())
                .withAffinity(pod.getAffinity())
                .withPriorityClassName(pod.getPriorityClassName())
                .withTopologySpreadConstraints(pod.getTopologySpreadConstraints() != null
                        ? pod.getTopologySpreadConstraints() : defaultSpread(relay))
                .withNewSecurityContext().withRunAsNonRoot(true)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer()
                .withName(RelayNames.RELAY_CONTAINER)
                .withImage(spec.getImage() == null ? defaultImage : spec.getImage())
                .withImagePullPolicy(spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
                .addNewPort().withName("http").withContainerPort(RelayDefaults.HTTP_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName("peer").withContainerPort(RelayDefaults.PEER_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName(ADMIN_PORT_NAME).withContainerPort(RelayDefaults.ADMIN_PORT).withProtocol("TCP").endPort()
                .withEnv(env)
                .withResources(resources)
                .withNewReadinessProbe()
                .withNewHttpGet().withPath("/readyz").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(5).withFailureThreshold(2)
                .endReadinessProbe()
                // Started once its process answers: only then does the operator list the pod as a peer
                // (docs/clustering.md#peers), and only then does the liveness probe begin.
                .withNewStartupProbe()
                .withNewHttpGet().withPath("/healthz").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(1).withTimeoutSeconds(1).withFailureThreshold(STARTUP_PROBES)
                .endStartupProbe()
                .withNewLivenessProbe()
                .withNewHttpGet().withPath("/healthz").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(10).withFailureThreshold(3)
                .endLivenessProbe()
                .withNewLifecycle().withNewPreStop().withNewSleep(PRE_STOP_SECONDS).endPreStop().endLifecycle()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .endContainer();

        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(RelayNames.deployment(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewSpec()
                .withReplicas(relay.getSpec().replicasOrDefault())
                .withNewSelector().withMatchLabels(RelayNames.selector(relay)).endSelector()
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                .withNewTemplate()
                .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
                .withSpec(podSpec.build())
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * At most one relay pod more on any node, and in any zone, than on another, so that losing
     * a node or a zone loses few subscribers' connections and the disruption budget protects
     * something. Where the cluster cannot spread (one node, no zone labels, no room) the pods
     * are scheduled all the same. Only the pods of one rollout are counted against each other.
     */
    static List<TopologySpreadConstraint> defaultSpread(SseRelay relay) {
        return List.of(spread(relay, "kubernetes.io/hostname"), spread(relay, "topology.kubernetes.io/zone"));
    }

    private static TopologySpreadConstraint spread(SseRelay relay, String topologyKey) {
        return new TopologySpreadConstraintBuilder()
                .withTopologyKey(topologyKey)
                .withMaxSkew(1)
                .withWhenUnsatisfiable("ScheduleAnyway")
                .withNewLabelSelector().withMatchLabels(RelayNames.selector(relay)).endLabelSelector()
                .withMatchLabelKeys("pod-template-hash")
                .build();
    }
}
