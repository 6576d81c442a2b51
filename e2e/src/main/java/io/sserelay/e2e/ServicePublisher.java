package io.sserelay.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An application that publishes through a Service as the relay's docs ask publishers to: numbered
 * events ({@code event 1}, {@code event 2}, ...) at a fixed pace, each on a connection of its own
 * as one {@code curl} makes (so they land on every relay in turn), each with an
 * {@code Idempotency-Key}, and retried with it after a {@code 503} (a cluster whose membership
 * changes refuses a publish caught by an owner change; the key makes the retry publish it once).
 * It records how each was answered in the end: 202 (acknowledged: must reach every subscriber),
 * another status after its retries (refused), or no answer (the connection broke: either), with
 * when it was sent and how long its answer took, retries included.
 *
 * <p>Threads: one scheduler thread publishes; the getters may be called from any thread.
 */
public final class ServicePublisher implements AutoCloseable {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<String> acknowledged = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final List<String> unanswered = new CopyOnWriteArrayList<>();
    private final List<String> retried = new CopyOnWriteArrayList<>();
    /** How often a publish answered 503 is tried again, and after how long. */
    static final int MAX_RETRIES = 10;
    static final Duration RETRY_AFTER = Duration.ofMillis(250);
    private final Map<String, Long> sentAtNanos = new ConcurrentHashMap<>();
    private final List<Long> answerNanos = new CopyOnWriteArrayList<>();
    private final InetSocketAddress service;
    private final String stream;
    private final String token;
    private int next;

    /** Starts publishing to {@code stream} at {@code service}, one event every {@code every}. */
    public ServicePublisher(InetSocketAddress service, String stream, String token, Duration every) {
        this.service = service;
        this.stream = stream;
        this.token = token;
        scheduler.scheduleAtFixedRate(this::publishNext, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void publishNext() {
        String data = "event " + ++next;
        long sent = System.nanoTime();
        sentAtNanos.put(data, sent);
        try {
            int status = RelayHttp.publishOnNewConnection(service, stream, token, data, data);
            for (int retry = 1; status == 503 && retry <= MAX_RETRIES; retry++) {
                retried.add(data);
                LockSupport.parkNanos(RETRY_AFTER.toNanos());
                status = RelayHttp.publishOnNewConnection(service, stream, token, data, data);
            }
            answerNanos.add(System.nanoTime() - sent);
            if (status == 202) {
                acknowledged.add(data);
            } else {
                refused.add(data + " (" + status + ")");
            }
        } catch (IOException e) {
            unanswered.add(data);
        }
    }

    /** Each retry after a 503, by the event it was for. */
    public List<String> retried() {
        return List.copyOf(retried);
    }

    public List<String> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** The events answered with another status than 202, each with its status. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    public List<String> unanswered() {
        return List.copyOf(unanswered);
    }

    public List<String> acknowledgedOrUnanswered() {
        List<String> all = new ArrayList<>(acknowledged);
        all.addAll(unanswered);
        return all;
    }

    /** When the event with {@code data} was sent ({@link System#nanoTime()}), or null. */
    public Long sentAtNanos(String data) {
        return sentAtNanos.get(data);
    }

    /** How long each answered publish took, from sending to its status line. */
    public List<Long> answerNanos() {
        return List.copyOf(answerNanos);
    }

    /** Stops publishing and waits for the publish under way. */
    @Override
    public void close() throws InterruptedException {
        scheduler.shutdown();
        if (!scheduler.awaitTermination(1, TimeUnit.MINUTES)) {
            throw new IllegalStateException("a publish did not end within a minute");
        }
    }
}
