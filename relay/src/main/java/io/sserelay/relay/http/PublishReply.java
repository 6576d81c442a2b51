package io.sserelay.relay.http;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.replication.PublishAnswer;
import io.sserelay.relay.replication.ReplicationGate;
import io.sserelay.relay.stream.Event;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one answer to one publish, from whichever thread decides it (the worker that parsed it, or
 * the replication gate's thread), and what goes with answering: the publish's idempotency key is
 * completed or freed, its metrics recorded, and its body's memory given back to the budget. The
 * answer itself is written on the connection's IO thread ({@link IoThreadAnswer}).
 */
final class PublishReply implements ReplicationGate.Outcome {

    /** How long a publisher is asked to wait after a 503 or 409 before it retries. */
    static final int RETRY_SECONDS = 1;
    static final HttpString REPLAYED = new HttpString("Idempotent-Replayed");

    private final HttpServerExchange exchange;
    private final boolean single;
    private final String key;
    private final IdempotencyKeys keys;
    private final RelayMetrics metrics;
    private final Runnable release;
    private final long acceptedNanos = System.nanoTime();
    private final AtomicBoolean answered = new AtomicBoolean();
    /** Set once the key is claimed for this publish. */
    private volatile IdempotencyKeys.Claim.Granted claimed;

    PublishReply(HttpServerExchange exchange, boolean single, String key, IdempotencyKeys keys, RelayMetrics metrics,
            Runnable release) {
        this.exchange = exchange;
        this.single = single;
        this.key = key;
        this.keys = keys;
        this.metrics = metrics;
        this.release = release;
    }

    /**
     * Claims the publish's idempotency key; false when the publish is answered already (a replay,
     * a conflict, or a key still in use) and must not be published.
     */
    boolean claim(byte[] requestDigest, long nowNanos) {
        IdempotencyKeys.Claim claim = keys.claim(key, requestDigest, nowNanos);
        if (claim instanceof IdempotencyKeys.Claim.Granted granted) {
            claimed = granted;
            return true;
        }
        if (claim instanceof IdempotencyKeys.Claim.Replay replay) {
            metrics.idempotentReplay();
            answer(202, replay.answer(), true);
        } else if (claim instanceof IdempotencyKeys.Claim.Conflict) {
            fail(new ApiError(422, "idempotency_key_reused", "Idempotency-Key '" + key + "' was used for a"
                    + " different request (other stream, type or data) in the last "
                    + "RELAY_HISTORY_MAX_AGE; send a new key for a new request"));
        } else {
            fail(new ApiError(409, "idempotency_key_in_use", "a publish with Idempotency-Key '" + key
                    + "' is still waiting for a peer to hold its events; retry after " + RETRY_SECONDS
                    + " s to get its answer").withHeader("Retry-After", Integer.toString(RETRY_SECONDS)));
        }
        return false;
    }

    @Override
    public void committed(List<Event> events, boolean replicated) {
        String body = PublishAnswer.of(single, events);
        long now = System.nanoTime();
        if (claimed != null) {
            keys.complete(key, claimed, body, now);
        }
        metrics.publishAcknowledged(replicated, now - acceptedNanos);
        answer(202, body, false);
    }

    @Override
    public void unconfirmed(Duration timeout) {
        metrics.publishUnconfirmed();
        fail(new ApiError(503, "replication_unconfirmed", "no peer relay confirmed holding the event"
                + (single ? "" : "s") + " within " + timeout.toMillis() + " ms, so nothing was published; retry"
                + " (with the same Idempotency-Key) here or on another replica")
                .withHeader("Retry-After", Integer.toString(RETRY_SECONDS)));
    }

    @Override
    public void closing() {
        fail(ApiError.shuttingDown());
    }

    /** Answers with an error; the key, if this publish claimed it, is free again. */
    void fail(ApiError error) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        if (claimed != null) {
            keys.release(key, claimed);
        }
        release.run();
        IoThreadAnswer.send(exchange, () -> error.send(exchange));
    }

    private void answer(int status, String body, boolean replayed) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        release.run();
        IoThreadAnswer.send(exchange, () -> {
            if (replayed) {
                exchange.getResponseHeaders().put(REPLAYED, "true");
            }
            exchange.setStatusCode(status);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseSender().send(body);
        });
    }
}
