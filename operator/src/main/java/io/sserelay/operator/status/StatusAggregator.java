package io.sserelay.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.sserelay.api.PeerStatus;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelayStatus;
import io.sserelay.operator.dependent.RelayNames;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Builds an SseRelay's status from what the operator observes: its pods (a pod whose relay has
 * started is a peer until its container stops or its pod is deleted), the status before, and any
 * problems with the spec. Pure: the same inputs give the same status, so the reconciler can
 * compare and patch only on change.
 */
public final class StatusAggregator {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    public static final String INVALID_SPEC = "InvalidSpec";
    public static final String RECONCILE_FAILED = "ReconcileFailed";

    private StatusAggregator() {
    }

    /**
     * @param problems what is wrong, as sentences a person can act on; empty when nothing is
     * @param reason   the Degraded reason when there are problems, e.g. {@link #INVALID_SPEC}
     * @param previous the status as it is now, for the conditions' transition times and the peers
     *                 listed before; may be null
     */
    public static SseRelayStatus aggregate(SseRelay relay, Collection<Pod> pods, List<String> problems, String reason,
            SseRelayStatus previous, Instant now) {
        List<PeerStatus> peers = new ArrayList<>();
        List<PeerStatus> leaving = new ArrayList<>();
        int existing = 0;
        int ready = 0;
        int runningNotReady = 0;
        for (Pod pod : pods) {
            if (!isLive(pod)) {
                if (isLeaving(pod) && (hasStarted(pod) || wasListed(previous, pod) && !hasStopped(pod))) {
                    leaving.add(new PeerStatus(pod.getMetadata().getName(), pod.getStatus().getPodIP(), false));
                }
                continue;
            }
            existing++;
            boolean podReady = isReady(pod);
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip != null && !ip.isEmpty()) {
                // A relay becomes a peer once its process answers: until then it holds nothing and
                // could answer nobody, and the other relays would wait for it. It stays one while its
                // container runs, even if a restarted kubelet forgets that it had started
                // (docs/clustering.md#peers): dropped unannounced, its copies would be missed.
                if (hasStarted(pod) || wasListed(previous, pod) && !hasStopped(pod)) {
                    peers.add(new PeerStatus(pod.getMetadata().getName(), ip, podReady));
                }
                if (podReady) {
                    ready++;
                } else if ("Running".equals(pod.getStatus().getPhase())) {
                    runningNotReady++;
                }
            }
        }
        peers.sort(Comparator.comparing(PeerStatus::getName));
        leaving.sort(Comparator.comparing(PeerStatus::getName));
        int desired = relay.getSpec().replicasOrDefault();
        long generation = relay.getMetadata().getGeneration() == null ? 0 : relay.getMetadata().getGeneration();

        SseRelayStatus status = new SseRelayStatus();
        status.setObservedGeneration(generation);
        status.setReplicas(existing);
        status.setReadyReplicas(ready);
        status.setSelector(RelayNames.selectorString(relay));
        status.setPeerCount(peers.size());
        status.setPeers(peers);
        status.setLeavingPeers(leaving);
        status.setPeersGeneration(peersGeneration(previous, peers, leaving));
        status.setEndpoint("http://" + RelayNames.service(relay) + "." + relay.getMetadata().getNamespace() + ".svc:"
                + relay.getSpec().servicePortOrDefault());
        List<Condition> conditions = new ArrayList<>();
        // With peers, a relay's readiness probe passes once it has joined its cluster
        // (docs/clustering.md#joining): a relay that runs but is not ready is most often joining.
        int joining = peers.size() > 1 ? runningNotReady : 0;
        conditions.add(ready(desired, ready, joining, generation));
        conditions.add(progressing(desired, existing, ready, generation));
        conditions.add(degraded(problems, reason, generation));
        status.setConditions(withTransitionTimes(conditions, previous, now));
        return status;
    }

    /**
     * The previous status's peers generation, or one more when the addresses of the peers or of
     * the leaving pods changed (a pod's readiness does not count): relays order the sets they
     * read by it (docs/stream-ownership.md#views). The reconciler writes a new generation only
     * on the resource version it read, so two sets never share one.
     */
    static long peersGeneration(SseRelayStatus previous, List<PeerStatus> peers, List<PeerStatus> leaving) {
        if (previous == null || previous.getPeersGeneration() == null) {
            return 1;
        }
        boolean same = addresses(previous.getPeers()).equals(addresses(peers))
                && addresses(previous.getLeavingPeers()).equals(addresses(leaving));
        return same ? previous.getPeersGeneration() : previous.getPeersGeneration() + 1;
    }

    private static List<String> addresses(List<PeerStatus> peers) {
        return peers == null ? List.of() : peers.stream().map(PeerStatus::getIp).sorted().toList();
    }

    /** Whether two statuses say the same, ignoring when conditions last changed. */
    public static boolean sameAs(SseRelayStatus a, SseRelayStatus b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && Objects.equals(a.getReplicas(), b.getReplicas())
                && Objects.equals(a.getReadyReplicas(), b.getReadyReplicas())
                && Objects.equals(a.getSelector(), b.getSelector())
                && Objects.equals(a.getPeerCount(), b.getPeerCount())
                && Objects.equals(a.getPeers(), b.getPeers())
                && Objects.equals(a.getLeavingPeers(), b.getLeavingPeers())
                && Objects.equals(a.getPeersGeneration(), b.getPeersGeneration())
                && Objects.equals(a.getEndpoint(), b.getEndpoint())
                && sameConditions(a.getConditions(), b.getConditions());
    }

    public static Condition find(SseRelayStatus status, String type) {
        if (status == null || status.getConditions() == null) {
            return null;
        }
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static Condition ready(int desired, int ready, int joining, long generation) {
        if (desired == 0) {
            return condition(READY, false, "ScaledToZero", "spec.replicas is 0, so no relay is running", generation);
        }
        if (ready >= desired) {
            return condition(READY, true, "AllRelaysReady", ready + " of " + desired + " relays are ready", generation);
        }
        if (joining > 0) {
            return condition(READY, false, "RelaysJoining", ready + " of " + desired + " relays are ready; " + joining
                    + " running but not ready: a relay turns ready once it has joined its cluster (it follows every"
                    + " peer that answers and each follows it); its log says what it waits for after 10 s", generation);
        }
        return condition(READY, false, "RelaysNotReady", ready + " of " + desired + " relays are ready; see the"
                + " relay pods' events and readiness probes", generation);
    }

    private static Condition progressing(int desired, int existing, int ready, long generation) {
        if (existing != desired) {
            return condition(PROGRESSING, true, "Scaling", existing + " relay pods exist, " + desired + " wanted",
                    generation);
        }
        if (ready < desired) {
            return condition(PROGRESSING, true, "WaitingForReadiness", (desired - ready) + " relay pods are not ready yet",
                    generation);
        }
        return condition(PROGRESSING, false, "Stable", "every wanted relay pod exists and is ready", generation);
    }

    private static Condition degraded(List<String> problems, String reason, long generation) {
        if (problems.isEmpty()) {
            return condition(DEGRADED, false, "AsExpected", "no problems found", generation);
        }
        return condition(DEGRADED, true, reason, String.join("; ", problems), generation);
    }

    /**
     * A pod that is not being deleted and has not ended: evicted and failed pods keep their
     * address, but nothing listens there any more.
     */
    public static boolean isLive(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return !"Failed".equals(phase) && !"Succeeded".equals(phase);
    }

    private static Condition condition(String type, boolean status, String reason, String message, long generation) {
        return new ConditionBuilder().withType(type).withStatus(status ? "True" : "False").withReason(reason)
                .withMessage(message).withObservedGeneration(generation).build();
    }

    private static List<Condition> withTransitionTimes(List<Condition> conditions, SseRelayStatus previous, Instant now) {
        for (Condition condition : conditions) {
            Condition before = find(previous, condition.getType());
            boolean unchanged = before != null && Objects.equals(before.getStatus(), condition.getStatus())
                    && before.getLastTransitionTime() != null;
            condition.setLastTransitionTime(unchanged ? before.getLastTransitionTime() : now.toString());
        }
        return conditions;
    }

    private static boolean sameConditions(List<Condition> a, List<Condition> b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Condition x = a.get(i);
            Condition y = b.get(i);
            if (!Objects.equals(x.getType(), y.getType()) || !Objects.equals(x.getStatus(), y.getStatus())
                    || !Objects.equals(x.getReason(), y.getReason()) || !Objects.equals(x.getMessage(), y.getMessage())
                    || !Objects.equals(x.getObservedGeneration(), y.getObservedGeneration())) {
                return false;
            }
        }
        return true;
    }

    /** A pod whose deletion has begun but which has not ended and still has its address: its relay may run. */
    public static boolean isLeaving(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() == null) {
            return false;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        return ip != null && !ip.isEmpty() && !"Failed".equals(phase) && !"Succeeded".equals(phase);
    }

    /**
     * Whether the pod's relay container has started: it passed its startup probe, so its process
     * answers, and it has not been restarted since (a restarted container starts over, having
     * lost what it held, and is started again once its new process answers).
     */
    public static boolean hasStarted(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
                && pod.getStatus().getContainerStatuses().stream()
                        .anyMatch(c -> RelayNames.RELAY_CONTAINER.equals(c.getName()) && Boolean.TRUE.equals(c.getStarted()));
    }

    /** Whether the relay container's process is known to have ended: it is waiting to run again, or terminated. */
    public static boolean hasStopped(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
                && pod.getStatus().getContainerStatuses().stream()
                        .filter(c -> RelayNames.RELAY_CONTAINER.equals(c.getName()) && c.getState() != null)
                        .anyMatch(c -> c.getState().getWaiting() != null || c.getState().getTerminated() != null);
    }

    /** Whether the previous status listed the pod, at the same address, as a peer or leaving. */
    private static boolean wasListed(SseRelayStatus previous, Pod pod) {
        if (previous == null || pod.getStatus() == null) {
            return false;
        }
        PeerStatus same = new PeerStatus(pod.getMetadata().getName(), pod.getStatus().getPodIP(), false);
        return Stream.concat(Stream.ofNullable(previous.getPeers()).flatMap(List::stream),
                        Stream.ofNullable(previous.getLeavingPeers()).flatMap(List::stream))
                .anyMatch(listed -> listed.getName().equals(same.getName()) && Objects.equals(listed.getIp(), same.getIp()));
    }

    /** Whether a pod reports its Ready condition as True. */
    public static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
