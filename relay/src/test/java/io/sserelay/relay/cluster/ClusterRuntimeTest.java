package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Refusal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How the runtime places the node's steps on threads (SerialSteps), and how it closes. */
class ClusterRuntimeTest {

    private static final ClusterNode.Settings SETTINGS = new ClusterNode.Settings(2_000, 60_000, 100, 3_000, 10_000,
            1_000, 100);

    private final List<String> viewThreads = new CopyOnWriteArrayList<>();
    private final List<String> sentTo = new CopyOnWriteArrayList<>();
    /** Each message sent, as its kind and the thread that sent it. */
    private final List<String> sentOn = new CopyOnWriteArrayList<>();
    private final ClusterNode.Transport transport = new ClusterNode.Transport() {
        @Override
        public void send(String to, Envelope envelope) {
            sentTo.add(to);
            sentOn.add(envelope.body().getClass().getSimpleName() + " on " + Thread.currentThread().getName());
        }

        @Override
        public void peersAre(Set<String> peers) {
            viewThreads.add(Thread.currentThread().getName());
        }
    };

    @Test
    void aNewViewWhoseCostGrowsWithTheRelaysStateIsAdoptedOnTheProtocolsOwnThread() {
        try (ClusterRuntime<String> runtime = new ClusterRuntime<String>("a:1", 1, SETTINGS, transport).start(50)) {
            runtime.view(View.of(1, List.of("a:1", "b:1")));
            await().atMost(Duration.ofSeconds(10)).until(() -> !viewThreads.isEmpty());
            assertThat(viewThreads).containsOnly("sserelay-cluster");
        }
    }

    @Test
    void aPeersCopiesAreTakenOnTheProtocolsOwnThreadWhicheverThreadBroughtThem() {
        try (ClusterRuntime<String> runtime = new ClusterRuntime<String>("a:1", 1, SETTINGS, transport).start(50)) {
            View view = View.of(1, List.of("a:1", "b:1"));
            runtime.view(view);
            await().atMost(Duration.ofSeconds(10)).until(() -> !viewThreads.isEmpty());
            String replicatedHere = IntStream.range(0, 100).mapToObj(i -> "s" + i)
                    .filter(stream -> Placement.owner(view, stream).equals("b:1")).findFirst().orElseThrow();

            // A sync and a handover carry whole copies: their cost grows with what the peer holds.
            runtime.receive(List.of(new Envelope("b:1", 1, 1,
                    new Message.Sync<>(replicatedHere, new StreamLog<String>(1_000, 7), 0))));
            runtime.receive(List.of(new Envelope("b:1", 1, 1, new Message.Handover<String>(1, Map.of()))));

            await().atMost(Duration.ofSeconds(10)).until(() -> sentOn.stream().anyMatch(sent -> sent.startsWith("Ack "))
                    && sentOn.stream().anyMatch(sent -> sent.startsWith("HandoverAck ")));
            assertThat(sentOn).filteredOn(sent -> sent.startsWith("Ack ") || sent.startsWith("HandoverAck "))
                    .containsOnly("Ack on sserelay-cluster", "HandoverAck on sserelay-cluster");
        }
    }

    @Test
    void closingAnswersAPublishStillWaitingForItsOwnerBeforeItReturnsAndRefusesLaterOnes() {
        ClusterRuntime<String> runtime = new ClusterRuntime<String>("a:1", 1, SETTINGS, transport).start(50);
        View view = View.of(1, List.of("a:1", "b:1"));
        runtime.view(view);
        await().atMost(Duration.ofSeconds(10)).until(() -> !viewThreads.isEmpty());
        String ownedByB = IntStream.range(0, 100).mapToObj(i -> "s" + i)
                .filter(stream -> Placement.owner(view, stream).equals("b:1")).findFirst().orElseThrow();
        AtomicReference<Refusal> waiting = new AtomicReference<>();
        runtime.publish(ownedByB, List.of("event"), null, null, refusedAs(waiting));
        await().atMost(Duration.ofSeconds(10)).until(() -> sentTo.contains("b:1")); // forwarded; b never answers

        runtime.close();
        assertThat(waiting.get()).as("answered by the node's stop, which close waited for").isNotNull();

        AtomicReference<Refusal> later = new AtomicReference<>();
        runtime.publish(ownedByB, List.of("late"), null, null, refusedAs(later));
        assertThat(later.get()).isEqualTo(Refusal.CLOSING);
    }

    private static PublishCallback refusedAs(AtomicReference<Refusal> refusal) {
        return new PublishCallback() {
            @Override
            public void published(List<EventId> ids, boolean replayed) {
                throw new AssertionError("nobody numbers this stream here");
            }

            @Override
            public void refused(Refusal code, String reason) {
                refusal.set(code);
            }
        };
    }
}
