package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.PacedPublisher;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;
import io.sserelay.bench.relay.RelayProcess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * S4: every subscriber of a relay drops at once and reconnects at once with its last event id,
 * while events keep being published. Measures how long until every subscriber has caught up to
 * what was published when the storm began, and checks that, across the drop, each subscriber
 * received every event exactly once.
 */
public final class ReconnectStorm implements Scenario {

    private static final double RATE = 50;
    private static final double TARGET_SECONDS = 5;

    @Override
    public String id() {
        return "S4";
    }

    @Override
    public String title() {
        return "Reconnect storm: 10,000 subscribers drop and resume at once";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        int subscribers = context.count(10_000, 100);
        String path = "/streams/storm";
        try (RelayProcess relay = context.startRelay("s4-relay", "127.0.0.41", Map.of());
             SseLoadClient client = context.loadClient(2)) {
            SubscriberGroup before = SubscriberGroup.open(client, subscribers, relay.address(), path)
                    .awaitOpen(Duration.ofSeconds(60));
            SubscriberGroup after;
            double stormSeconds;
            long missedWhileAway;
            long last;
            try (PacedPublisher publisher = new PacedPublisher(List.of(relay.address()), BenchContext.PUBLISH_TOKEN,
                    seq -> "storm", RATE, BenchContext.EVENT_BYTES, Long.MAX_VALUE)) {
                Await.until("50 events to be published", Duration.ofSeconds(30), () -> publisher.published() >= 50);
                before.awaitReceivedUpTo(publisher.published(), Duration.ofSeconds(60));

                client.closeAll();
                Await.until("every subscriber to be dropped", Duration.ofSeconds(60),
                        () -> client.openSubscriptions() == 0);
                long droppedAt = publisher.published();
                Await.until("events to be published while the subscribers are away", Duration.ofSeconds(30),
                        () -> publisher.published() >= droppedAt + 50);

                List<String> lastIds = before.subscriptions().stream().map(Subscription::lastEventId).toList();
                long head = publisher.published();
                missedWhileAway = head - before.subscriptions().stream().mapToLong(Subscription::highestSeq).min()
                        .orElse(0);
                long start = System.nanoTime();
                after = SubscriberGroup.open(client, subscribers, i -> relay.address(), i -> path, lastIds::get);
                after.awaitOpen(Duration.ofSeconds(60));
                after.awaitReceivedUpTo(head, Duration.ofSeconds(60));
                stormSeconds = (System.nanoTime() - start) / 1e9;
                publisher.close();
                FanOutThroughput.failIfFailed(publisher.failure());
                last = publisher.published();
            }
            after.awaitReceivedUpTo(last, Duration.ofSeconds(60));

            long gaps = 0;
            long duplicates = 0;
            for (int i = 0; i < subscribers; i++) {
                BitSet first = before.subscriptions().get(i).seen();
                BitSet second = after.subscriptions().get(i).seen();
                BitSet both = (BitSet) first.clone();
                both.and(second);
                duplicates += both.cardinality() + after.subscriptions().get(i).duplicates();
                first.or(second);
                gaps += last - first.get(1, (int) last + 1).cardinality();
            }
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.atMost("time until all resumed and caught up", stormSeconds, "s", TARGET_SECONDS));
            figures.add(Figure.none("subscribers not resumed", subscribers - after.size() + after.ended()));
            figures.add(Figure.none("events lost across the drop", gaps));
            figures.add(Figure.none("events received twice across the drop", duplicates));
            figures.add(Figure.none("resets", after.sum(Subscription::resets)));
            figures.add(Figure.info("events each subscriber missed while away", missedWhileAway, ""));
            String setup = String.format("%s subscribers on one relay drop at once (client side closes), %d more "
                            + "events are published, then all reconnect at once with Last-Event-ID; publishing "
                            + "continues at %s events/s throughout.", Format.number(subscribers), missedWhileAway,
                    Format.number(RATE));
            List<String> notes = List.of("The time runs from the first reconnect to the moment the last subscriber "
                    + "has every event published before the storm began.");
            return new ScenarioResult(id(), title(), setup, figures, Map.of(), notes);
        }
    }
}
