package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.metrics.RelayMetrics.Disconnect;
import io.sserelay.relay.stream.CatchUp;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.Subscriber;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One subscriber's event stream over an HTTP response.
 *
 * <p>Threads: the {@link Subscriber} callbacks run on whichever thread holds the hub's lock
 * and only append to a lock-free queue and account its bytes. Everything that touches the
 * socket runs on the exchange's IO thread, driven by its {@link IoThreadWriter}.
 *
 * <p>Memory: the queue holds shared, read-only frames. Live frames count against the
 * connection's buffer; past it the connection is closed and the client resumes by id. A
 * catch-up shares the history's memory and gets its own allowance on top of the buffer, so a
 * client far behind can still catch up.
 */
public final class SseConnection implements Subscriber {

    private static final HttpString X_ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final ByteBuffer HEARTBEAT = SseEncoder.comment("");
    private static final ByteBuffer SHUTTING_DOWN = SseEncoder.comment("relay shutting down; reconnect to resume");

    private final HttpServerExchange exchange;
    private final IoThreadWriter writer;
    private final List<String> streams;
    private final boolean multiStream;
    private final Consumer<SseConnection> onClosed;
    private final SseSettings settings;
    private final RelayMetrics metrics;

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicBoolean flushMarked = new AtomicBoolean();
    private volatile long catchUpRemaining;
    private volatile boolean overflowed;
    private volatile boolean finishing;

    // IO thread only.
    private StreamSinkChannel channel;
    private int headOffset;
    private long lastWriteNanos;
    private long stalledSinceNanos;
    private boolean writesShutDown;
    private boolean closed;

    /**
     * @param multiStream true for {@code /events}: events without a type are typed with their
     *                    stream name
     * @param onClosed    runs once on the IO thread when the connection ends for any reason;
     *                    it must unsubscribe this connection from the hub
     */
    public SseConnection(HttpServerExchange exchange, SseWriters writers, List<String> streams, boolean multiStream,
            Consumer<SseConnection> onClosed) {
        this.exchange = exchange;
        this.writer = writers.forThread(exchange.getIoThread());
        this.streams = List.copyOf(streams);
        this.multiStream = multiStream;
        this.onClosed = onClosed;
        this.settings = writers.settings();
        this.metrics = writers.metrics();
    }

    public List<String> streams() {
        return streams;
    }

    @Override
    public void onCatchUp(CatchUp catchUp) {
        long before = backlog.get();
        enqueue(SseEncoder.retry(settings.retry().toMillis()));
        if (!catchUp.resetStreams().isEmpty()) {
            enqueue(resetFrame(catchUp.resetStreams()));
        }
        for (Event event : catchUp.replay()) {
            enqueue(event.frame(multiStream).duplicate());
        }
        if (!catchUp.replay().isEmpty()) {
            metrics.replayed(catchUp.replay().size());
        }
        Position current = catchUp.position();
        if (!current.equals(catchUp.positionAfterReplay())) {
            enqueue(SseEncoder.id(current.format()));
        }
        catchUpRemaining = backlog.get() - before;
    }

    @Override
    public void onEvent(Event event) {
        if (overflowed || finishing) {
            return;
        }
        int bytes = event.frame(multiStream).remaining();
        long total = backlog.addAndGet(bytes);
        if (total > settings.bufferBytes() + catchUpRemaining) {
            backlog.addAndGet(-bytes);
            overflowed = true;
            mark();
            return;
        }
        queue.offer(event);
        mark();
    }

    @Override
    public void onRelayClosing() {
        long base = settings.shutdownRetry().toMillis();
        enqueue(SHUTTING_DOWN.duplicate());
        enqueue(SseEncoder.retry(base + ThreadLocalRandom.current().nextLong(base + 1)));
        finishing = true;
        mark();
    }

    /**
     * IO thread: sends the response headers and starts writing. Called once the subscription
     * is registered, so the catch-up is already queued.
     */
    public void start() {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, "text/event-stream")
                .put(Headers.CACHE_CONTROL, "no-cache")
                .put(X_ACCEL_BUFFERING, "no");
        channel = exchange.getResponseChannel();
        channel.getWriteSetter().set(ch -> flush());
        exchange.getConnection().addCloseListener(this::transportClosed);
        watchForClientClose();
        writer.register(this);
        metrics.connectionOpened();
        lastWriteNanos = System.nanoTime();
        flush();
    }

    /**
     * A subscriber sends nothing after its request, so the read side of the connection only
     * ever reports end of stream: the client closed. Watching it frees the connection at
     * once instead of at the next heartbeat's failed write. Bytes a client sends anyway
     * (pipelining is meaningless on an endless response) are read and dropped.
     */
    private void watchForClientClose() {
        if (!(exchange.getConnection() instanceof AbstractServerConnection http1)) {
            return; // only HTTP/1.1 is enabled; other transports rely on the heartbeat
        }
        StreamSourceChannel source = http1.getChannel().getSourceChannel();
        source.getReadSetter().set(ch -> {
            ByteBuffer scratch = writer.readScratch;
            try {
                int read;
                do {
                    scratch.clear();
                    read = ch.read(scratch);
                } while (read > 0);
                if (read < 0) {
                    close();
                    IoUtils.safeClose(exchange.getConnection());
                }
            } catch (IOException e) {
                close();
                IoUtils.safeClose(exchange.getConnection());
            }
        });
        source.resumeReads();
    }

    /** IO thread: a mark made by {@link #mark()} is being served. */
    void flushMarked() {
        flushMarked.set(false);
        flush();
    }

    /** IO thread: heartbeat and stall checks. */
    void tick(long now) {
        if (closed || channel == null) {
            return;
        }
        if (stalledSinceNanos != 0 && now - stalledSinceNanos > settings.writeTimeout().toNanos()) {
            abort(Disconnect.STALLED);
            return;
        }
        if (queue.isEmpty() && now - lastWriteNanos >= settings.heartbeat().toNanos()) {
            enqueue(HEARTBEAT.duplicate());
            flush();
        }
    }

    private void enqueue(ByteBuffer frame) {
        backlog.addAndGet(frame.remaining());
        queue.offer(frame);
    }

    private void mark() {
        if (flushMarked.compareAndSet(false, true)) {
            writer.mark(this);
        }
    }

    private void flush() {
        if (closed || channel == null) {
            return;
        }
        if (overflowed) {
            abort(Disconnect.BACKLOG);
            return;
        }
        try {
            if (writesShutDown) {
                finishWhenFlushed();
                return;
            }
            ByteBuffer[] gather = writer.gather;
            while (true) {
                int count = fillGather(gather);
                if (count == 0) {
                    break;
                }
                long written = channel.write(gather, 0, count);
                long now = System.nanoTime();
                int done = popWritten(gather, count, now, written);
                if (written > 0) {
                    lastWriteNanos = now;
                    backlog.addAndGet(-written);
                    long catchUp = catchUpRemaining;
                    if (catchUp > 0) {
                        catchUpRemaining = Math.max(0, catchUp - written);
                    }
                }
                if (done < count) {
                    headOffset = gather[done].position();
                    Arrays.fill(gather, 0, count, null);
                    stalledSinceNanos = written > 0 || stalledSinceNanos == 0 ? now : stalledSinceNanos;
                    channel.resumeWrites();
                    return;
                }
                headOffset = 0;
                Arrays.fill(gather, 0, count, null);
            }
            if (!channel.flush()) {
                if (stalledSinceNanos == 0) {
                    stalledSinceNanos = System.nanoTime();
                }
                channel.resumeWrites();
                return;
            }
            stalledSinceNanos = 0;
            if (finishing && queue.isEmpty()) {
                writesShutDown = true;
                channel.shutdownWrites();
                finishWhenFlushed();
                return;
            }
            channel.suspendWrites();
        } catch (IOException e) {
            // The client went away; there is nobody left to tell.
            close();
            IoUtils.safeClose(exchange.getConnection());
        }
    }

    private int fillGather(ByteBuffer[] gather) {
        int count = 0;
        long bytes = 0;
        for (Object entry : queue) {
            ByteBuffer frame = entry instanceof Event event
                    ? event.frame(multiStream).duplicate()
                    : ((ByteBuffer) entry).duplicate();
            if (count == 0 && headOffset > 0) {
                frame.position(headOffset);
            }
            gather[count++] = frame;
            bytes += frame.remaining();
            if (count == gather.length || bytes >= IoThreadWriter.MAX_GATHER_BYTES) {
                break;
            }
        }
        return count;
    }

    /** Removes the fully written frames from the queue and returns how many there were. */
    private int popWritten(ByteBuffer[] gather, int count, long now, long written) {
        int done = 0;
        int events = 0;
        while (done < count && !gather[done].hasRemaining()) {
            Object entry = queue.poll();
            if (entry instanceof Event event) {
                if (events == 0) {
                    metrics.publishToWrite(now - event.acceptedNanos());
                }
                events++;
            }
            done++;
        }
        metrics.written(events, written);
        return done;
    }

    private void finishWhenFlushed() throws IOException {
        if (channel.flush()) {
            close();
        } else {
            channel.resumeWrites();
        }
    }

    private void abort(Disconnect reason) {
        if (closed) {
            return;
        }
        metrics.disconnected(reason);
        close();
        IoUtils.safeClose(exchange.getConnection());
    }

    private void transportClosed(ServerConnection connection) {
        close();
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.unregister(this);
        if (channel != null) {
            metrics.connectionClosed();
        }
        queue.clear();
        backlog.set(0);
        onClosed.accept(this);
    }

    private static ByteBuffer resetFrame(List<String> streams) {
        // Stream names are [A-Za-z0-9._:-], so they need no JSON escaping.
        StringBuilder json = new StringBuilder("{\"streams\":[");
        for (int i = 0; i < streams.size(); i++) {
            json.append(i == 0 ? "\"" : ",\"").append(streams.get(i)).append('"');
        }
        json.append("],\"message\":\"events after the last event id are no longer retained; some were missed\"}");
        return SseEncoder.event(null, "reset", json.toString().getBytes(StandardCharsets.UTF_8));
    }
}
