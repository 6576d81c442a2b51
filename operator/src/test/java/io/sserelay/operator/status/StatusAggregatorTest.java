package io.sserelay.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.sserelay.api.PeerStatus;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SseRelayStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StatusAggregatorTest {

    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-11-21T10:05:00Z");

    @Test
    void everyLivePodWithAnAddressIsAPeerSortedByName() {
        SseRelayStatus status = aggregate(relay(3), List.of(
                pod("news-c", "10.0.0.3", true, "Running", false),
                pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false),
                pod("news-d", null, false, "Pending", false),
                pod("news-e", "10.0.0.5", true, "Running", true),
                pod("news-f", "10.0.0.6", false, "Failed", false)), null, T0);
        assertThat(status.getPeers()).containsExactly(new PeerStatus("news-a", "10.0.0.1", true),
                new PeerStatus("news-b", "10.0.0.2", false), new PeerStatus("news-c", "10.0.0.3", true));
        assertThat(status.getPeerCount()).isEqualTo(3);
        assertThat(status.getReplicas()).as("pods that exist and have not ended").isEqualTo(4);
        assertThat(status.getReadyReplicas()).isEqualTo(2);
        assertThat(status.getSelector()).isEqualTo("sserelay.io/relay=news");
        assertThat(status.getEndpoint()).isEqualTo("http://news.prod.svc:80");
        assertThat(status.getObservedGeneration()).isEqualTo(4);
    }

    @Test
    void thePeersGenerationGrowsWhenAddressesChangeAndNotWithReadiness() {
        SseRelayStatus first = aggregate(relay(2), List.of(pod("news-a", "10.0.0.1", false, "Running", false)), null,
                T0);
        assertThat(first.getPeersGeneration()).isEqualTo(1);
        assertThat(first.getLeavingPeers()).isEmpty();
        SseRelayStatus readyNow = aggregate(relay(2), List.of(pod("news-a", "10.0.0.1", true, "Running", false)),
                first, T1);
        assertThat(readyNow.getPeersGeneration()).isEqualTo(1);
        SseRelayStatus scaled = aggregate(relay(2), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false)), readyNow, T1);
        assertThat(scaled.getPeersGeneration()).isEqualTo(2);
        SseRelayStatus leaving = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", true, "Running", true)), scaled, T1);
        assertThat(leaving.getPeers()).extracting(PeerStatus::getName).containsExactly("news-a");
        assertThat(leaving.getLeavingPeers()).containsExactly(new PeerStatus("news-b", "10.0.0.2", false));
        assertThat(leaving.getPeersGeneration()).isEqualTo(3);
        SseRelayStatus gone = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", true, "Failed", true)), leaving, T1);
        assertThat(gone.getLeavingPeers()).as("a pod that ended holds nothing").isEmpty();
        assertThat(gone.getPeersGeneration()).isEqualTo(4);
        assertThat(StatusAggregator.sameAs(gone, aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", true, "Running",
                false)), gone, T1))).isTrue();
    }

    @Test
    void conditionsSayWhatIsGoingOnInWordsAPersonCanActOn() {
        SseRelayStatus rolling = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false)), null,
                T0);
        assertThat(StatusAggregator.find(rolling, "Ready").getMessage())
                .isEqualTo("1 of 3 relays are ready; see the relay pods' events and readiness probes");
        assertThat(StatusAggregator.find(rolling, "Progressing").getReason()).isEqualTo("Scaling");
        assertThat(StatusAggregator.find(rolling, "Degraded").getStatus()).isEqualTo("False");

        SseRelayStatus zero = aggregate(relay(0), List.of(), null, T0);
        assertThat(StatusAggregator.find(zero, "Ready").getReason()).isEqualTo("ScaledToZero");

        SseRelayStatus broken = StatusAggregator.aggregate(relay(1), List.of(), List.of("Secret 'x' is missing"),
                StatusAggregator.INVALID_SPEC, null, T0);
        assertThat(StatusAggregator.find(broken, "Degraded").getStatus()).isEqualTo("True");
        assertThat(StatusAggregator.find(broken, "Degraded").getMessage()).isEqualTo("Secret 'x' is missing");
    }

    @Test
    void aPodIsAPeerOnlyWhileItsRelayHasStarted() {
        // Pending with an address (its image is pulled, its JVM starts): not yet a peer, so that no
        // relay waits for one that cannot answer, and no stream is given to it.
        SseRelayStatus starting = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false, false)), null, T0);
        assertThat(starting.getPeers()).containsExactly(new PeerStatus("news-a", "10.0.0.1", true));
        assertThat(starting.getReplicas()).as("it exists all the same").isEqualTo(2);

        SseRelayStatus started = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false)), starting, T1);
        assertThat(started.getPeers()).extracting(PeerStatus::getName).containsExactly("news-a", "news-b");
        assertThat(started.getPeersGeneration()).isEqualTo(starting.getPeersGeneration() + 1);

        // A kubelet that restarted forgets which containers had started; one that still runs stays
        // a peer, since its relay holds copies that nobody would collect if it went unannounced.
        SseRelayStatus forgotten = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false, false)), started, T1);
        assertThat(forgotten.getPeers()).extracting(PeerStatus::getName).containsExactly("news-a", "news-b");
        assertThat(forgotten.getPeersGeneration()).isEqualTo(started.getPeersGeneration());

        // Its relay crashed and waits to run again: it holds nothing now, and its streams move on.
        Pod crashed = pod("news-b", "10.0.0.2", false, "Running", false, false);
        crashed.getStatus().getContainerStatuses().get(0).setState(new ContainerStateBuilder().withNewWaiting()
                .withReason("CrashLoopBackOff").endWaiting().build());
        SseRelayStatus restarting = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                crashed), started, T1);
        assertThat(restarting.getPeers()).extracting(PeerStatus::getName).containsExactly("news-a");
        assertThat(restarting.getPeersGeneration()).isEqualTo(started.getPeersGeneration() + 1);

        // Run again, it is a peer once its new process answers.
        SseRelayStatus back = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false, false)), restarting, T1);
        assertThat(back.getPeers()).extracting(PeerStatus::getName).containsExactly("news-a");

        // Deleted before its relay ever ran: nothing to collect from it, so it is not leaving either.
        SseRelayStatus deleted = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", true, false),
                pod("news-c", "10.0.0.3", true, "Running", true, true)), null, T0);
        assertThat(deleted.getLeavingPeers()).extracting(PeerStatus::getName).containsExactly("news-c");
    }

    @Test
    void relaysThatRunButAreNotReadyAreSaidToBeJoiningTheirCluster() {
        SseRelayStatus joining = aggregate(relay(3), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-b", "10.0.0.2", false, "Running", false), pod("news-c", null, false, "Pending", false)),
                null, T0);
        Condition ready = StatusAggregator.find(joining, "Ready");
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("RelaysJoining");
        assertThat(ready.getMessage()).startsWith("1 of 3 relays are ready; 1 running but not ready: a relay turns"
                + " ready once it has joined its cluster");

        SseRelayStatus pending = aggregate(relay(2), List.of(pod("news-a", "10.0.0.1", true, "Running", false),
                pod("news-c", null, false, "Pending", false)), null, T0);
        assertThat(StatusAggregator.find(pending, "Ready").getReason()).isEqualTo("RelaysNotReady");

        SseRelayStatus alone = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", false, "Running", false)), null, T0);
        assertThat(StatusAggregator.find(alone, "Ready").getReason()).as("a relay without peers has no cluster to join")
                .isEqualTo("RelaysNotReady");
    }

    @Test
    void transitionTimesMoveOnlyWhenAConditionChanges() {
        SseRelayStatus first = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", false, "Running", false)), null, T0);
        SseRelayStatus same = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", false, "Running", false)), first, T1);
        assertThat(StatusAggregator.sameAs(first, same)).isTrue();
        assertThat(StatusAggregator.find(same, "Ready").getLastTransitionTime()).isEqualTo(T0.toString());

        SseRelayStatus ready = aggregate(relay(1), List.of(pod("news-a", "10.0.0.1", true, "Running", false)), first, T1);
        assertThat(StatusAggregator.sameAs(first, ready)).isFalse();
        assertThat(StatusAggregator.find(ready, "Ready").getLastTransitionTime()).isEqualTo(T1.toString());
        assertThat(StatusAggregator.find(ready, "Degraded").getLastTransitionTime()).isEqualTo(T0.toString());
    }

    private static SseRelayStatus aggregate(SseRelay relay, List<Pod> pods, SseRelayStatus previous, Instant now) {
        return StatusAggregator.aggregate(relay, pods, List.of(), StatusAggregator.INVALID_SPEC, previous, now);
    }

    static SseRelay relay(int replicas) {
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName("news");
        relay.getMetadata().setNamespace("prod");
        relay.getMetadata().setGeneration(4L);
        relay.setSpec(new SseRelaySpec());
        relay.getSpec().setReplicas(replicas);
        return relay;
    }

    /** A pod whose relay container has started when it is Running. */
    static Pod pod(String name, String ip, boolean ready, String phase, boolean terminating) {
        return pod(name, ip, ready, phase, terminating, "Running".equals(phase));
    }

    static Pod pod(String name, String ip, boolean ready, String phase, boolean terminating, boolean started) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withDeletionTimestamp(terminating ? T0.toString() : null).endMetadata()
                .withNewStatus().withPhase(phase).withPodIP(ip)
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .addNewContainerStatus().withName("relay").withStarted(started).withReady(ready).endContainerStatus()
                .endStatus()
                .build();
    }
}
