package io.sserelay.e2e;

import io.sserelay.testplane.ServiceEndpoint;
import io.sserelay.testplane.ServiceProxy;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The product's first promise seen from outside, through a Service only: one subscriber per
 * relay, each reaching its relay through the Service (the proxy sends each new connection to
 * the next ready relay), and one event published through the Service; every subscriber
 * receives it, so it crossed from the relay that accepted it to all the others.
 */
public final class DeliveryThroughTheService {

    private DeliveryThroughTheService() {
    }

    /**
     * Subscribes to {@code stream} through {@code service} until a subscriber is on each of
     * {@code relays} (pod names), publishes {@code text} once, and waits until every subscriber
     * has it. Returns the event as the subscribers received it.
     *
     * @throws IllegalStateException when the subscribers do not reach exactly those relays, the
     *                               publish is not acknowledged, or a subscriber does not receive it
     */
    public static EventSourceClient.Event check(ServiceProxy service, Set<String> relays, String stream, String token,
            String text, Duration atMost) throws IOException {
        List<EventSourceClient> subscribers = new ArrayList<>();
        try {
            Set<String> reached = new TreeSet<>();
            for (int i = 0; i < relays.size(); i++) {
                EventSourceClient subscriber = EventSourceClient.open(service.address(), "/streams/" + stream);
                subscribers.add(subscriber);
                reached.add(Awaitility.await("a subscriber through the Service").atMost(atMost)
                        .until(() -> subscriber.latestConnection().flatMap(service::endpointOf), Optional::isPresent)
                        .map(ServiceEndpoint::pod).orElseThrow());
            }
            if (!reached.equals(new TreeSet<>(relays))) {
                throw new IllegalStateException("subscribers through the Service reached " + reached + ", not every relay "
                        + new TreeSet<>(relays));
            }
            for (EventSourceClient subscriber : subscribers) {
                // The relay sends a position first: from then on, the subscriber is registered.
                Awaitility.await("a subscriber's first position").atMost(atMost)
                        .until(() -> !subscriber.lastEventId().isEmpty());
            }
            int status = RelayHttp.publishOnNewConnection(service.address(), stream, token, text);
            if (status != 202) {
                throw new IllegalStateException("publishing through the Service was answered " + status + ", not 202");
            }
            for (EventSourceClient subscriber : subscribers) {
                Awaitility.await("'" + text + "' at every subscriber").atMost(atMost)
                        .until(() -> subscriber.data().contains(text));
            }
            return subscribers.get(0).events().stream().filter(e -> e.data().equals(text)).findFirst().orElseThrow();
        } finally {
            subscribers.forEach(EventSourceClient::close);
        }
    }
}
