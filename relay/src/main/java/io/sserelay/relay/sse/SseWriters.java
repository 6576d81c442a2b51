package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics;
import org.xnio.XnioIoThread;

import java.util.concurrent.ConcurrentHashMap;

/** The {@link IoThreadWriter} of each IO thread, created on first use. Thread-safe. */
public final class SseWriters {

    private final SseSettings settings;
    private final RelayMetrics metrics;
    private final ConcurrentHashMap<XnioIoThread, IoThreadWriter> writers = new ConcurrentHashMap<>();
    private final QueueBudget queues;
    private volatile boolean stopped;

    public SseWriters(SseSettings settings, RelayMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
        this.queues = new QueueBudget(settings.queuesMaxBytes());
    }

    QueueBudget queues() {
        return queues;
    }

    /** Unsent bytes all streaming responses hold together, queue overhead included. */
    public long queuedBytes() {
        return queues.used();
    }

    IoThreadWriter forThread(XnioIoThread thread) {
        return writers.computeIfAbsent(thread, t -> {
            IoThreadWriter writer = new IoThreadWriter(t, settings, this);
            writer.startTicking();
            return writer;
        });
    }

    SseSettings settings() {
        return settings;
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    boolean stopped() {
        return stopped;
    }

    /** Stops the heartbeat and stall checks; connections are closed by the server's shutdown. */
    public void stop() {
        stopped = true;
    }
}
