package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics.Disconnect;
import io.sserelay.relay.metrics.RelayMetrics.StreamWrites;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An endless HTTP response fed from a queue of read-only frames, many of them shared: the write
 * path of subscribers ({@link SseConnection}).
 *
 * <p>Threads: producers call {@link #offerBatch}, {@link #offerOwnEvent}, {@link #offerFrame} and {@link #finish}
 * from any thread (in practice the cluster protocol's); they only append to a lock-free queue
 * and account its bytes. Everything that touches the socket runs on the exchange's IO
 * thread, driven by its {@link IoThreadWriter}.
 *
 * <p>Memory: live events (and frames made for this response alone) count against the
 * response's buffer, each with the queue entry that holds it (events handed over together share
 * one entry, {@link #offerBatch}, which counts whole and, like one frame larger than the buffer, is
 * still queued when nothing else bounded waits); past it the response is closed and
 * the client resumes by id when it reconnects. All responses together also count against one
 * {@link QueueBudget}, so that many slow clients cannot fill the heap. It counts what they really
 * hold: an event's frame that every subscriber of the stream shares (it lives with the event in
 * the history) counts its queue entry only; a frame made for one response counts whole. A
 * response whose oldest queued event has waited more than 10 seconds is closed as slow, so that
 * shared frames the history has let go of do not pile up behind it uncounted. Frames offered
 * without a bound (a catch-up, which the history holds anyway, and control frames) are allowed on
 * top. The bounded bytes are guarded by a lock of their own, which producers and the IO thread
 * hold for a few instructions: producers add an entry's size when they queue it, the IO thread
 * subtracts it once the entry is written, and closing gives back what is left.
 */
public abstract class StreamingResponse {

    private static final Logger LOG = LoggerFactory.getLogger(StreamingResponse.class);

    private final HttpServerExchange exchange;
    private final IoThreadWriter writer;
    private final StreamWrites metrics;
    private final long bufferBytes;
    /** A queue entry and its node, counted with each bounded frame. */
    static final int ENTRY_BYTES = 32;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    /** Catch-up frames queued and not yet written. */
    private final AtomicInteger catchUpQueued = new AtomicInteger();
    private final QueueBudget queues;
    private final Object accounting = new Object();
    /** Guarded by {@link #accounting}: bytes against this response's buffer. */
    private long boundedBytes;
    /** Guarded by {@link #accounting}: bytes against the shared {@link QueueBudget}. */
    private long budgetBytes;
    private boolean ended;
    private final AtomicBoolean flushMarked = new AtomicBoolean();
    private volatile boolean overflowed;
    private volatile boolean finishing;
    private volatile boolean closeRequested;

    // IO thread only.
    private StreamSinkChannel channel;
    /** In the queue's first entry: how many of its frames are written, and how much of the next. */
    private int headFrame;
    private int headOffset;
    private long lastWriteNanos;
    private long stalledSinceNanos;
    private boolean writesShutDown;
    /** When the response is to end ({@link #endAt}), {@link System#nanoTime()}; 0 for never. */
    private volatile long deadlineNanos;
    private boolean closed;

    /** @param metrics where this response's writes are counted: a subscriber's or a peer's figures */
    protected StreamingResponse(HttpServerExchange exchange, SseWriters writers, StreamWrites metrics) {
        this.exchange = exchange;
        this.writer = writers.forThread(exchange.getIoThread());
        this.metrics = metrics;
        this.bufferBytes = writers.settings().bufferBytes();
        this.queues = writers.queues();
    }

    /** What to send after a heartbeat interval without writes. */
    protected abstract ByteBuffer heartbeatFrame();

    /** Sets status and headers before the first write. */
    protected abstract void prepareResponse(HttpServerExchange exchange);

    /** Runs once, on a worker thread, when the response ends for any reason. */
    protected abstract void onClosed();

    /**
     * Queues a live event's frame made for this response alone within the buffer, counted whole
     * against the shared budget; past the buffer the response is closed as too slow.
     * {@code publishedAtMillis} (wall clock) times its delivery.
     */
    protected final void offerOwnEvent(ByteBuffer frame, long publishedAtMillis) {
        int bytes = frame.remaining() + ENTRY_BYTES;
        offerBounded(new EventFrame(frame, bytes, bytes, true, publishedAtMillis, System.nanoTime()), bytes, bytes);
    }

    /**
     * Queues a frame of a catch-up made for this response alone: outside the buffer's bound (a
     * catch-up may be larger than the buffer, and must still go out), but counted whole against
     * the shared budget, since only this queue holds it.
     */
    protected final void offerOwnCatchUp(ByteBuffer frame) {
        int bytes = frame.remaining() + ENTRY_BYTES;
        offerBounded(new EventFrame(frame, 0, bytes, false, 0, System.nanoTime()), 0, bytes);
    }

    /**
     * An event's frame, with what it counted against the buffer and the budget when it was
     * queued; {@code live}: a live event rather than part of a catch-up (for the metrics).
     */
    private record EventFrame(ByteBuffer frame, int bytes, int charge, boolean live, long publishedAtMillis,
            long queuedAtNanos) {
    }

    /**
     * How long a live event may wait in a response's queue: past it the response is closed as
     * slow. Long enough for a client on a poor network to keep up with a busy stream; short
     * enough that frames the history let go of, which no budget counts whole, stay few. A closed
     * client resumes by id, from the history, outside the buffer's bound.
     */
    static final long LAGGING_HEAD_NANOS = 10_000_000_000L;

    /** Queues a frame made for this response alone, within the buffer like an event. */
    protected final void offerOwnFrame(ByteBuffer frame) {
        int bytes = frame.remaining() + ENTRY_BYTES;
        offerBounded(new OwnFrame(frame, bytes), bytes, bytes);
    }

    /** A frame that counts against the buffer, with the size it had when it was queued. */
    private record OwnFrame(ByteBuffer frame, int bytes) {
    }

    private void offerBounded(Object entry, int bytes, int charge) {
        if (overflowed || finishing) {
            return;
        }
        synchronized (accounting) {
            if (ended) {
                return;
            }
            long total = boundedBytes + bytes;
            // One frame larger than the buffer is still sent when nothing else bounded is waiting.
            boolean overBuffer = total > bufferBytes && total != bytes;
            if (overBuffer || !queues.tryTake(charge, budgetBytes + charge)) {
                overflowed = true;
            } else {
                boundedBytes = total;
                budgetBytes += charge;
                queue.offer(entry);
            }
        }
        mark();
    }

    /**
     * As {@link #offerOwnEvent} for live events in order, as one queue entry: their frames,
     * which every subscriber of their stream shares, in a {@link SharedFrames} that may be shared
     * too, so that what a subscriber is handed at once costs one entry and one hand-off to the IO
     * thread, not one per event.
     */
    protected final void offerBatch(SharedFrames frames) {
        if (overflowed || finishing) {
            return;
        }
        if (catchUpQueued.get() > 0) {
            for (ByteBuffer frame : frames.frames) {
                // Behind a catch-up still being written, live events are part of it: the subscriber
                // reads, but cannot have them before what it missed, and the history holds their frames.
                offerCatchUp(frame);
            }
            return;
        }
        offerBounded(frames, frames.bytes, ENTRY_BYTES);
    }

    /**
     * Frames of consecutive live events that many responses may queue, as one entry they share
     * ({@link #offerBatch}; only the entry counts against the budget); neither the array nor a
     * frame is ever changed. {@code publishedAtMillis} is the first event's; when they were made
     * stands for when each response queued them: they do within one pass of the stream's
     * subscribers, and {@link SseWriters} makes new ones after a second.
     */
    protected static final class SharedFrames {
        private final ByteBuffer[] frames;
        /** What the entry counts against a buffer: the frames and the entry. */
        private final int bytes;
        private final long publishedAtMillis;
        private final long madeAtNanos = System.nanoTime();

        public SharedFrames(ByteBuffer[] frames, long publishedAtMillis) {
            this.frames = frames;
            int total = ENTRY_BYTES;
            for (ByteBuffer frame : frames) {
                total += frame.remaining();
            }
            this.bytes = total;
            this.publishedAtMillis = publishedAtMillis;
        }

        boolean madeWithin(long nanos) {
            return System.nanoTime() - madeAtNanos < nanos;
        }
    }

    /**
     * Queues a frame outside the buffer's bound: catch-ups (which share the history's memory)
     * and small control frames. Call {@link #flushSoon()} after a series of them.
     */
    protected final void offerFrame(ByteBuffer frame) {
        if (overflowed || finishing) {
            return; // nothing after a dropped event or the end may be written: an id in it could skip the event
        }
        queue.offer(frame);
    }

    /**
     * Queues a frame of a catch-up that the history holds (shared): outside the buffer's bound,
     * like {@link #offerFrame}; live events offered while any is unwritten follow it the same way.
     */
    protected final void offerCatchUp(ByteBuffer sharedFrame) {
        if (overflowed || finishing) {
            return;
        }
        catchUpQueued.incrementAndGet();
        queue.offer(new CatchUpFrame(sharedFrame, System.nanoTime()));
    }

    /** A shared frame of a catch-up, counted while it waits (see {@link #offerCatchUp}). */
    private record CatchUpFrame(ByteBuffer frame, long queuedAtNanos) {
    }

    protected final void flushSoon() {
        mark();
    }

    /** Ends the response once everything queued so far is written; nothing is queued after. */
    protected final void finish() {
        finishing = true;
        mark();
    }

    /** Any thread: drop the connection soon, without ending the response properly. */
    public final void closeSoon() {
        closeRequested = true;
        mark();
    }

    /**
     * IO thread: sends the headers and starts writing. Called after the response was
     * registered with its source, so its catch-up is already queued.
     */
    public final void start() {
        queues.opened();
        try {
            // An endless response is the connection's last. Saying so also frees the connection
            // as soon as it closes: Undertow ends a persistent exchange whose connection closed by
            // starting to wait for the next request, which re-arms the idle timer
            // (NO_REQUEST_TIMEOUT, which the relay no longer sets, but a server option could) on the dead connection and keeps it, with everything it
            // references, on the IO thread's timer queue until the timer fires.
            exchange.setPersistent(false);
            prepareResponse(exchange);
            channel = exchange.getResponseChannel();
            if (channel == null) {
                throw new IllegalStateException("the response channel was already taken");
            }
            channel.getWriteSetter().set(ch -> flush());
            exchange.getConnection().addCloseListener(this::transportClosed);
            watchForClientClose();
            writer.register(this);
            lastWriteNanos = System.nanoTime();
            opened();
        } catch (RuntimeException e) {
            LOG.warn("could not start a stream to {}", exchange.getSourceAddress(), e);
            closeConnection();
            return;
        }
        flush();
    }

    /**
     * IO thread: bytes the client sent while the response streams (through the request body's
     * decoder when it has one). Dropped by default; override to read them, and call
     * {@link #closeSoon()} on what must end the connection.
     */
    protected void received(ByteBuffer bytes) {
    }

    /** IO thread, once the response is open; for subclasses that count connections. */
    protected void opened() {
    }

    /** IO thread: a mark made by {@link #mark()} is being served. */
    final void flushMarked() {
        flushMarked.set(false);
        flush();
    }

    /**
     * Any thread: at {@code nanos} ({@link System#nanoTime()}), or at the first tick after it,
     * {@link #deadlineReached()} runs on the IO thread.
     */
    protected final void endAt(long nanos) {
        deadlineNanos = nanos == 0 ? 1 : nanos;
    }

    /** IO thread: the time given to {@link #endAt} has come. */
    protected void deadlineReached() {
    }

    /** IO thread: heartbeat and stall checks. */
    final void tick(long now, long heartbeatNanos, long writeTimeoutNanos) {
        if (closed || channel == null) {
            return;
        }
        long deadline = deadlineNanos;
        if (deadline != 0 && now - deadline >= 0) {
            deadlineNanos = 0;
            deadlineReached();
        }
        if (stalledSinceNanos != 0 && now - stalledSinceNanos > writeTimeoutNanos) {
            abort(Disconnect.STALLED);
            return;
        }
        Object head = queue.peek();
        long queuedAt = head instanceof EventFrame event ? event.queuedAtNanos()
                : head instanceof SharedFrames batch ? batch.madeAtNanos
                : head instanceof CatchUpFrame catchUp ? catchUp.queuedAtNanos() : now;
        if (now - queuedAt >= LAGGING_HEAD_NANOS) {
            abort(Disconnect.BACKLOG);
            return;
        }
        if (head == null && now - lastWriteNanos >= heartbeatNanos) {
            offerFrame(heartbeatFrame().duplicate());
            flush();
        }
    }

    /**
     * A client sends nothing after its request, so the read side of the connection only ever
     * reports end of stream: the client closed. Watching it frees the connection at once
     * instead of at the next heartbeat's failed write. Bytes a client sends anyway (pipelining
     * is meaningless on an endless response) go to {@link #received}, which drops them unless a
     * subclass reads a request body that goes on while the response streams.
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
                    if (read > 0 && !closed) {
                        received(scratch.flip());
                    }
                } while (read > 0 && !closed);
                if (read < 0) {
                    closeConnection();
                }
            } catch (IOException e) {
                closeConnection();
            }
        });
        source.resumeReads();
    }

    private void mark() {
        // During a long drain most connections are still marked; a read is cheaper than a failed CAS.
        if (!flushMarked.get() && flushMarked.compareAndSet(false, true)) {
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
        if (closeRequested) {
            closeConnection();
            return;
        }
        try {
            if (writesShutDown) {
                closeWhenFlushed();
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
                boolean partial = popWritten(gather, count, written) < count;
                if (written > 0) {
                    lastWriteNanos = now;
                }
                Arrays.fill(gather, 0, count, null);
                if (partial) {
                    stalledSinceNanos = written > 0 || stalledSinceNanos == 0 ? now : stalledSinceNanos;
                    channel.resumeWrites();
                    return;
                }
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
                closeWhenFlushed();
                return;
            }
            channel.suspendWrites();
        } catch (IOException e) {
            closeConnection(); // the client went away; there is nobody left to tell
        }
    }

    /**
     * Fills {@code gather} with duplicates of the queued frames, from where the last write
     * stopped ({@link #headFrame}, {@link #headOffset}); returns how many.
     */
    private int fillGather(ByteBuffer[] gather) {
        int count = 0;
        long bytes = 0;
        boolean head = true;
        for (Object entry : queue) {
            ByteBuffer[] frames = entry instanceof SharedFrames batch ? batch.frames : null;
            int first = head ? headFrame : 0;
            int size = frames == null ? 1 : frames.length;
            for (int i = first; i < size; i++) {
                ByteBuffer frame = (frames == null ? frameOf(entry) : frames[i]).duplicate();
                if (head && i == first && headOffset > 0) {
                    frame.position(headOffset);
                }
                gather[count++] = frame;
                bytes += frame.remaining();
                if (count == gather.length || bytes >= IoThreadWriter.MAX_GATHER_BYTES) {
                    return count;
                }
            }
            head = false;
        }
        return count;
    }

    private static ByteBuffer frameOf(Object entry) {
        return entry instanceof EventFrame event ? event.frame()
                : entry instanceof OwnFrame own ? own.frame()
                : entry instanceof CatchUpFrame catchUp ? catchUp.frame() : (ByteBuffer) entry;
    }

    /**
     * After a write of the {@code count} frames {@link #fillGather} gave: removes the entries
     * written whole, notes where the first one not written whole stands, and returns how many of
     * the frames were written whole.
     */
    private int popWritten(ByteBuffer[] gather, int count, long written) {
        int done = 0;
        int events = 0;
        long boundedWritten = 0;
        long chargeWritten = 0;
        while (done < count) {
            Object entry = queue.peek();
            int frames = entry instanceof SharedFrames batch ? batch.frames.length - headFrame : 1;
            int inGather = Math.min(frames, count - done);
            int whole = 0;
            while (whole < inGather && !gather[done + whole].hasRemaining()) {
                whole++;
            }
            if (whole < frames) {
                // Part of the entry went: its next frame is the first not written whole.
                headFrame += whole;
                headOffset = whole < inGather ? gather[done + whole].position() : 0;
                done += whole;
                break;
            }
            queue.poll();
            headFrame = 0;
            headOffset = 0;
            done += frames;
            if (entry instanceof EventFrame event) {
                if (event.live()) {
                    if (events == 0) {
                        recordPublishToWrite(event.publishedAtMillis());
                    }
                    events++;
                }
                boundedWritten += event.bytes();
                chargeWritten += event.charge();
            } else if (entry instanceof SharedFrames batch) {
                if (events == 0) {
                    recordPublishToWrite(batch.publishedAtMillis);
                }
                events += batch.frames.length;
                boundedWritten += batch.bytes;
                chargeWritten += ENTRY_BYTES;
            } else if (entry instanceof OwnFrame own) {
                boundedWritten += own.bytes();
                chargeWritten += own.bytes();
            } else if (entry instanceof CatchUpFrame) {
                catchUpQueued.decrementAndGet();
            }
        }
        if (boundedWritten > 0) {
            synchronized (accounting) {
                if (!ended) {
                    boundedBytes -= boundedWritten;
                    budgetBytes -= chargeWritten;
                    queues.release(chargeWritten);
                }
            }
        }
        metrics.written(events, written);
        return done;
    }

    private void recordPublishToWrite(long publishedAtMillis) {
        metrics.publishToWrite(TimeUnit.MILLISECONDS.toNanos(Math.max(0, System.currentTimeMillis() - publishedAtMillis)));
    }

    private void closeWhenFlushed() throws IOException {
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
        closeConnection();
    }

    private void closeConnection() {
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
        synchronized (accounting) {
            ended = true;
            queues.release(budgetBytes);
            boundedBytes = 0;
            budgetBytes = 0;
            queue.clear();
        }
        queues.closed(); // close() runs only for a response that started
        // onClosed unsubscribes and gives back the connection's budget: off the IO thread, which writes.
        try {
            exchange.getConnection().getWorker().execute(this::onClosed);
        } catch (RuntimeException workerStopped) {
            onClosed();
        }
    }

    /** IO thread: whether {@link #start()} has run. */
    protected final boolean isStarted() {
        return channel != null;
    }
}
