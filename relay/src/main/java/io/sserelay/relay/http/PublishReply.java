package io.sserelay.relay.http;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.PublishRequest;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one answer to one publish. A publish is one part per stream it names, each published by
 * its stream's owner ({@code parts}); the answer waits for every part, from whichever thread
 * hears it, and then records the publish's metrics, gives its body's memory back to the budget
 * and writes the answer on the connection's IO thread ({@link IoThreadAnswer}).
 *
 * <p>{@code 202} with every event's id when every part was published ({@code Idempotent-Replayed}
 * when every part was an earlier publish with the same key); otherwise the error of the first
 * part that was not, saying which streams' events were published all the same.
 */
final class PublishReply {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PublishReply.class);

    /** How long a publisher is asked to wait after a 503 or 409 before it retries. */
    static final int RETRY_SECONDS = 1;
    static final HttpString REPLAYED = new HttpString("Idempotent-Replayed");

    private final HttpServerExchange exchange;
    private final boolean single;
    private final String key;
    private final List<PublishRequest> requests;
    private final Duration ackTimeout;
    private final boolean replicated;
    private final RelayMetrics metrics;
    private final Runnable release;
    private final long acceptedNanos = System.nanoTime();
    private final AtomicBoolean answered = new AtomicBoolean();
    /** Each stream's events' places in the request, in the order the streams first appear. */
    private final Map<String, List<Integer>> parts = new LinkedHashMap<>();
    private final EventId[] ids;
    private int waiting;
    private boolean allReplayed = true;
    private Refusal refusal;
    private String refusalReason;
    private final TreeSet<String> publishedStreams = new TreeSet<>();

    /**
     * @param replicated whether a second relay holds each event before it is acknowledged (for the metrics)
     * @param release    gives the body's memory back; runs once, when the answer is decided
     */
    PublishReply(HttpServerExchange exchange, boolean single, String key, List<PublishRequest> requests,
            Duration ackTimeout, boolean replicated, RelayMetrics metrics, Runnable release) {
        this.exchange = exchange;
        this.single = single;
        this.key = key;
        this.requests = requests;
        this.ackTimeout = ackTimeout;
        this.replicated = replicated;
        this.metrics = metrics;
        this.release = release;
        this.ids = new EventId[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            parts.computeIfAbsent(requests.get(i).stream(), stream -> new ArrayList<>()).add(i);
        }
        this.waiting = parts.size();
    }

    /** The streams of the publish, each with its events' places in the request. */
    Map<String, List<Integer>> parts() {
        return parts;
    }

    /** What hears the outcome of the part for {@code stream}. */
    PublishCallback part(String stream) {
        return new PublishCallback() {
            @Override
            public void published(List<EventId> partIds, boolean replayed) {
                List<Integer> places = parts.get(stream);
                synchronized (PublishReply.this) {
                    for (int i = 0; i < places.size(); i++) {
                        ids[places.get(i)] = partIds.get(i);
                    }
                    allReplayed &= replayed;
                    publishedStreams.add(stream);
                }
                partDone();
            }

            @Override
            public void refused(Refusal code, String reason) {
                synchronized (PublishReply.this) {
                    if (refusal == null) {
                        refusal = code;
                        refusalReason = reason;
                    }
                }
                partDone();
            }
        };
    }

    private void partDone() {
        synchronized (this) {
            if (--waiting > 0) {
                return;
            }
        }
        if (refusal == null) {
            acknowledged();
        } else {
            LOG.info("a publish to {} was refused: {} ({})", parts.keySet(), refusal, refusalReason);
            fail(error(refusal, refusalReason));
        }
    }

    private void acknowledged() {
        // Written by hand: stream names (StreamName) and ids need no escaping, and building
        // Jackson's tree cost a twentieth of a clustered relay's CPU (docs/performance.md, S2).
        StringBuilder body = new StringBuilder(64);
        if (single) {
            body.append("{\"stream\":\"").append(requests.get(0).stream()).append("\",\"id\":\"").append(ids[0])
                    .append("\"}");
        } else {
            body.append("{\"ids\":[");
            for (int i = 0; i < ids.length; i++) {
                body.append(i == 0 ? "\"" : ",\"").append(ids[i]).append('"');
            }
            body.append("]}");
        }
        if (allReplayed && key != null) {
            metrics.idempotentReplay();
        } else {
            metrics.publishAcknowledged(replicated, ids.length, System.nanoTime() - acceptedNanos);
        }
        answer(body.toString(), allReplayed && key != null);
    }

    /** The error for a part's refusal, and what became of the other parts. */
    private ApiError error(Refusal code, String reason) {
        String others = publishedStreams.isEmpty() || single ? ""
                : "; the events for " + String.join(", ", publishedStreams) + " were published"
                        + (key == null ? "" : " (a retry with the same Idempotency-Key publishes the rest only)");
        return switch (code) {
            case UNCONFIRMED -> {
                metrics.publishUnconfirmed();
                yield new ApiError(503, "replication_unconfirmed", "no second relay confirmed holding the event"
                        + (single ? "" : "s") + " within " + ackTimeout.toMillis() + " ms, so "
                        + (publishedStreams.isEmpty() ? "nothing was published" : "they were not published") + others
                        + "; retry (with the same Idempotency-Key) here or on another replica")
                        .withHeader("Retry-After", Integer.toString(RETRY_SECONDS));
            }
            case TIMEOUT, NOT_OWNER -> new ApiError(503, "publish_unanswered", "the relay that numbers the stream did"
                    + " not answer in time (it may be restarting, or the cluster changing), so the events may or"
                    + " may not have been published" + others + "; retry with the same Idempotency-Key to find out"
                    + " without publishing them twice")
                    .withHeader("Retry-After", Integer.toString(RETRY_SECONDS));
            case KEY_IN_USE -> new ApiError(409, "idempotency_key_in_use", "a publish with Idempotency-Key '" + key
                    + "' is still waiting for a second relay to hold its events" + others + "; retry after "
                    + RETRY_SECONDS + " s to get its answer")
                    .withHeader("Retry-After", Integer.toString(RETRY_SECONDS));
            case KEY_REUSED -> new ApiError(422, "idempotency_key_reused", "Idempotency-Key '" + key + "' was used"
                    + " for a different request (other stream, type or data) whose events are still retained"
                    + others + "; send a new key for a new request");
            case CLOSING -> ApiError.shuttingDown();
        };
    }

    /** Answers with an error; nothing is answered twice. */
    void fail(ApiError error) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        release.run();
        IoThreadAnswer.send(exchange, () -> error.send(exchange));
    }

    private void answer(String body, boolean replayed) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        release.run();
        IoThreadAnswer.send(exchange, () -> {
            if (replayed) {
                exchange.getResponseHeaders().put(REPLAYED, "true");
            }
            exchange.setStatusCode(202);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseSender().send(body);
        });
    }
}
