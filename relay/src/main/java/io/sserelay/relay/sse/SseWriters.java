package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics;
import org.xnio.XnioIoThread;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** The {@link IoThreadWriter} of each IO thread, created on first use. Thread-safe. */
public final class SseWriters {

    private final SseSettings settings;
    private final RelayMetrics metrics;
    private final ConcurrentHashMap<XnioIoThread, IoThreadWriter> writers = new ConcurrentHashMap<>();
    private final QueueBudget queues;
    private volatile boolean stopped;
    /** The last list of events made into frames, and its frames. */
    private volatile Made lastMade;
    /**
     * How long a shared entry is handed to more responses: its time of
     * making stands for theirs of queuing it, which the lagging-head check reads (10 s), so it
     * must not grow old.
     */
    static final long SHARED_ENTRY_REUSE_NANOS = 1_000_000_000L;

    private record Made(List<?> events, StreamingResponse.SharedFrames frames) {
    }

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

    /**
     * The frames of {@code events}, shared by every response queued the same list: the cluster
     * protocol hands the subscribers of a stream that keep up one list, and each would otherwise
     * make the same array.
     */
    <T> StreamingResponse.SharedFrames sharedFrames(List<T> events, Function<T, ByteBuffer> frameOf,
            long firstPublishedAtMillis) {
        Made made = lastMade;
        if (made != null && made.events() == events && made.frames().madeWithin(SHARED_ENTRY_REUSE_NANOS)) {
            return made.frames();
        }
        ByteBuffer[] frames = new ByteBuffer[events.size()];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = frameOf.apply(events.get(i));
        }
        made = new Made(events, new StreamingResponse.SharedFrames(frames, firstPublishedAtMillis));
        lastMade = made;
        return made.frames();
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
