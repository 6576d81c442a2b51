package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.ToLongFunction;

/** A set of subscriptions a scenario opens together and checks together. */
final class SubscriberGroup {

    private final List<Subscription> subscriptions;

    private SubscriberGroup(List<Subscription> subscriptions) {
        this.subscriptions = subscriptions;
    }

    /**
     * Opens {@code count} subscriptions, the i-th to {@code paths.apply(i)} on {@code relays.apply(i)},
     * resuming after {@code lastIds.apply(i)} (null for a new subscriber).
     */
    static SubscriberGroup open(SseLoadClient client, int count, IntFunction<InetSocketAddress> relays,
                                IntFunction<String> paths, IntFunction<String> lastIds) {
        return open(client, count, relays, paths, lastIds, i -> null);
    }

    /** Subscriber {@code i} presents {@code tokens.apply(i)}, or no token when that is null. */
    static SubscriberGroup open(SseLoadClient client, int count, IntFunction<InetSocketAddress> relays,
                                IntFunction<String> paths, IntFunction<String> lastIds, IntFunction<String> tokens) {
        List<Subscription> subscriptions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            subscriptions.add(client.subscribe(relays.apply(i), paths.apply(i), lastIds.apply(i), tokens.apply(i)));
        }
        return new SubscriberGroup(subscriptions);
    }

    static SubscriberGroup open(SseLoadClient client, int count, InetSocketAddress relay, String path) {
        return open(client, count, i -> relay, i -> path, i -> null);
    }

    List<Subscription> subscriptions() {
        return subscriptions;
    }

    int size() {
        return subscriptions.size();
    }

    /** Waits until every response is open; fails with the first failure's reason. */
    SubscriberGroup awaitOpen(Duration timeout) {
        Await.until(size() + " subscriptions to open", timeout, () -> {
            int open = 0;
            for (Subscription s : subscriptions) {
                if (s.state() == Subscription.State.FAILED || s.state() == Subscription.State.CLOSED) {
                    throw new IllegalStateException("a subscription ended before it opened: " + s.failure());
                }
                if (s.state() == Subscription.State.OPEN) {
                    open++;
                }
            }
            return open == size();
        });
        return this;
    }

    /** Waits until every subscription has received every event up to {@code seq}. */
    void awaitReceivedUpTo(long seq, Duration timeout) {
        Await.until("every subscriber to receive event " + seq, timeout, () -> {
            for (Subscription s : subscriptions) {
                if (s.state() != Subscription.State.OPEN) {
                    throw new IllegalStateException("a subscription ended early: " + s.state() + " " + s.failure());
                }
                if (s.highestSeq() < seq) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Subscriptions that are no longer open. */
    long ended() {
        return subscriptions.stream().filter(s -> s.state() != Subscription.State.OPEN).count();
    }

    /** How the first subscription that is no longer open ended, for an error message; null when all are open. */
    String firstEnded() {
        return subscriptions.stream().filter(s -> s.state() != Subscription.State.OPEN).findFirst()
                .map(s -> s.state() + (s.failure() == null ? "" : ": " + s.failure())).orElse(null);
    }

    long sum(ToLongFunction<Subscription> figure) {
        return subscriptions.stream().mapToLong(figure).sum();
    }

    /** Events in [1, last] that some subscription never received. */
    long missing(long last) {
        return sum(s -> s.missing(1, last));
    }
}
