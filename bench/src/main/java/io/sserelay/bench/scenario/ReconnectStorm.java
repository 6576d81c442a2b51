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
import java.util.function.IntFunction;

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
        Storm open = storm(context, "s4-relay", "127.0.0.41", subscribers, Map.of(), i -> null);
        SignedTokens tokens = SignedTokens.forSubscribers(subscribers, "storm");
        Storm signed = storm(context, "s4-jwt-relay", "127.0.0.42", subscribers, Map.of(
                "RELAY_SUBSCRIBE_AUTH", "jwt", "RELAY_JWT_PUBLIC_KEYS", tokens.publicKeyPem()), tokens::token);
        double verifyMicros = tokens.verificationMicros();

        List<Figure> figures = new ArrayList<>(open.figures(""));
        figures.addAll(signed.figures(" (JWT)"));
        figures.add(Figure.info("signed-token verification per connection, in the relay's code", verifyMicros, "µs"));
        figures.add(Figure.info("storm time per connection, JWT minus none",
                (signed.seconds - open.seconds) * 1e6 / subscribers, "µs"));
        String setup = String.format("%s subscribers on one relay drop at once (client side closes), %d more "
                        + "events are published, then all reconnect at once with Last-Event-ID; publishing "
                        + "continues at %s events/s throughout. Run twice: subscribing without a token, and with "
                        + "a signed token each (RELAY_SUBSCRIBE_AUTH=jwt, RS256, a 2048-bit key).",
                Format.number(subscribers), open.missedWhileAway, Format.number(RATE));
        List<String> notes = List.of("The time runs from the first reconnect to the moment the last subscriber "
                        + "has every event published before the storm began.",
                "Each JWT subscriber has its own token (sub user-i, the stream in sserelay.subscribe); the relay "
                        + "verifies it on each connection. Verification per connection is measured apart, with the "
                        + "relay's own authenticator over all the tokens after a warm-up.");
        return new ScenarioResult(id(), title(), setup, figures, Map.of(), notes);
    }

    /** What one storm measured. */
    private record Storm(double seconds, long notResumed, long gaps, long duplicates, long resets,
                         long missedWhileAway) {

        List<Figure> figures(String suffix) {
            return List.of(
                    Figure.atMost("time until all resumed and caught up" + suffix, seconds, "s", TARGET_SECONDS),
                    Figure.none("subscribers not resumed" + suffix, notResumed),
                    Figure.none("events lost across the drop" + suffix, gaps),
                    Figure.none("events received twice across the drop" + suffix, duplicates),
                    Figure.none("resets" + suffix, resets),
                    Figure.info("events each subscriber missed while away" + suffix, missedWhileAway, ""));
        }
    }

    private static Storm storm(BenchContext context, String name, String address, int subscribers,
                               Map<String, String> env, IntFunction<String> tokens) throws Exception {
        String path = "/streams/storm";
        try (RelayProcess relay = context.startRelay(name, address, env);
             SseLoadClient client = context.loadClient(2)) {
            SubscriberGroup before = SubscriberGroup.open(client, subscribers, i -> relay.address(), i -> path,
                    i -> null, tokens).awaitOpen(Duration.ofSeconds(60));
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
                after = SubscriberGroup.open(client, subscribers, i -> relay.address(), i -> path, lastIds::get, tokens);
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
            return new Storm(stormSeconds, subscribers - after.size() + after.ended(), gaps, duplicates,
                    after.sum(Subscription::resets), missedWhileAway);
        }
    }
}
