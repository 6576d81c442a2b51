package io.sserelay.relay.peer;

import io.sserelay.relay.cluster.ClusterNode.Transport;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of the stream-ownership protocol: one connection to each peer this relay
 * has a message for, a {@code POST} to {@link ClusterEndpoint#PATH} whose chunked body carries
 * frames for as long as the connection lives. The protocol tolerates lost messages (it resends
 * what matters), so a link whose queue is over its bound drops the newest message rather than
 * hold memory (one message alone may be larger, up to the codec's message limit), and a broken connection loses what was in flight; the link reconnects with
 * jittered backoff from 0.1 s to 2 s.
 *
 * <p>Threads: {@link #send} and {@link #flush} are called by the thread running the protocol's
 * steps, one at a time ({@link io.sserelay.relay.cluster.ClusterRuntime}); {@code send}
 * only queues, and {@code flush} writes to each link that has something new, so that what one
 * burst of the protocol's work sends a peer goes in one chunk and one write, without waiting: a
 * slow peer's link keeps the rest for its own thread. Each link has a daemon thread that
 * connects, finishes the writes a flush could not, and sends the keepalive.
 */
public final class ClusterLinks implements Transport, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLinks.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final long KEEPALIVE_MILLIS = 1_000;
    private static final byte[] KEEPALIVE = {0, 0, 0, 0};
    private static final byte[] CRLF = {'\r', '\n'};

    private final String self;
    private final String token;
    private final MessageCodec<?> codec;
    private final long maxQueuedBytes;
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    /** Links given a message since the last {@link #flush}; touched by the protocol's steps only. */
    private final Set<Link> unflushed = new LinkedHashSet<>();
    private volatile LinkWatcher watcher = new LinkWatcher() {
    };
    private volatile boolean closed;
    /** Bytes written to peers, framing included, since the relay started. */
    private final LongAdder sentBytes = new LongAdder();

    /** Hears of each link as it opens and goes, for the relay's {@code sserelay_peer_link_up} gauges. */
    public interface LinkWatcher {
        /** A link to {@code peer} was opened; {@code connected} says, whenever asked, whether it is up now. */
        default void added(String peer, BooleanSupplier connected) {
        }

        default void removed(String peer) {
        }
    }

    public void watch(LinkWatcher newWatcher) {
        this.watcher = newWatcher;
    }

    /**
     * @param self           this relay's peer address, which peers check against the frames' sender
     * @param maxQueuedBytes the most unsent bytes one link holds
     */
    public ClusterLinks(String self, String token, MessageCodec<?> codec, long maxQueuedBytes) {
        this.self = self;
        this.token = token;
        this.codec = codec;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    @Override
    public void send(String to, Envelope envelope) {
        if (closed) {
            return;
        }
        ByteBuffer frame;
        try {
            frame = codec.encode(envelope);
        } catch (MalformedFrameException | IllegalArgumentException tooLarge) {
            LOG.warn("a message to {} is not sent: {}", to, tooLarge.getMessage());
            return;
        }
        Link link = links.computeIfAbsent(to, peer -> {
            Link added = new Link(peer);
            watcher.added(peer, () -> added.connected);
            return added;
        });
        link.offer(frame);
        unflushed.add(link);
    }

    @Override
    public void flush() {
        for (Link link : unflushed) {
            link.flush();
        }
        unflushed.clear();
    }

    /** Stops the links to relays that left the view; a message to one later opens a new link. */
    @Override
    public void peersAre(Set<String> peers) {
        links.entrySet().removeIf(link -> {
            if (peers.contains(link.getKey())) {
                return false;
            }
            link.getValue().stop();
            watcher.removed(link.getKey());
            return true;
        });
    }

    /** Bytes written on the links so far: the frames and the chunked encoding around them. */
    public long sentBytes() {
        return sentBytes.sum();
    }

    /** How many peers this relay has a link to. */
    int linkCount() {
        return links.size();
    }

    @Override
    public void close() {
        closed = true;
        links.values().forEach(Link::stop);
        links.clear();
    }

    /**
     * One peer's connection. Frames wait in {@code queue} until a flush; a flush writes them as one
     * chunk on the calling thread when the socket takes it without waiting, which is almost always
     * on a live link: a hand-off to the link's thread for every write cost each relay thousands of
     * wake-ups a second, a third of its system time in S2 (docs/performance.md). What the socket
     * does not take at once is the link's thread's to finish, waiting on a selector, and later
     * frames queue behind it; the link's thread also connects, sends the keepalive and notices a
     * refusal.
     */
    private final class Link implements Runnable {
        private final String peer;
        private final Thread thread;
        private volatile boolean stopped;
        private volatile boolean connected;
        /** The connection, once opened: for {@link #stop} to close. */
        private volatile SocketChannel socket;
        private volatile Selector selector;
        // Guarded by this.
        private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
        private long queuedBytes;
        /** The connection in non-blocking mode once its request head is written; null otherwise. */
        private SocketChannel writable;
        /** The rest of a chunk the socket did not take at once; the link's thread writes it. */
        private ByteBuffer[] unwritten;
        private IOException failed;
        private long lastChunkNanos;

        Link(String peer) {
            this.peer = peer;
            this.thread = new Thread(this, "sserelay-cluster-link-" + peer);
            thread.setDaemon(true);
            thread.start();
        }

        synchronized void offer(ByteBuffer frame) {
            if (queuedBytes > 0 && queuedBytes + frame.remaining() > maxQueuedBytes) {
                return; // lost, as on a broken connection; the protocol sends again what it needs
            }
            queue.add(frame);
            queuedBytes += frame.remaining();
        }

        /** Writes the queued frames now if the link is up and idle; otherwise its thread will. */
        void flush() {
            boolean handOver;
            synchronized (this) {
                if (writable == null || unwritten != null || failed != null || queue.isEmpty()) {
                    return; // connecting, or the link's thread has a chunk to finish first and takes these next
                }
                try {
                    writeQueued();
                } catch (IOException e) {
                    failed = e;
                }
                handOver = unwritten != null || failed != null;
            }
            if (handOver) {
                Selector waiting = selector;
                if (waiting != null) {
                    waiting.wakeup();
                }
            }
        }

        /** Writes the queued frames as one chunk, or as much of it as the socket takes. */
        private void writeQueued() throws IOException {
            int length = 0;
            ByteBuffer[] chunk = new ByteBuffer[queue.size() + 2];
            int i = 1;
            for (ByteBuffer frame : queue) {
                length += frame.remaining();
                chunk[i++] = frame;
            }
            queue.clear();
            queuedBytes = 0;
            writeChunk(chunk, length);
        }

        private void writeChunk(ByteBuffer[] chunk, int length) throws IOException {
            byte[] size = (Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            chunk[0] = ByteBuffer.wrap(size);
            chunk[chunk.length - 1] = ByteBuffer.wrap(CRLF);
            sentBytes.add(length + size.length + (long) CRLF.length);
            lastChunkNanos = System.nanoTime();
            unwritten = chunk;
            continueWriting();
        }

        /** Writes what is left of the chunk in hand without waiting; null once it is all out. */
        private void continueWriting() throws IOException {
            writable.write(unwritten);
            if (!unwritten[unwritten.length - 1].hasRemaining()) {
                unwritten = null;
            }
        }

        void stop() {
            stopped = true;
            Selector waiting = selector;
            if (waiting != null) {
                waiting.wakeup();
            }
            SocketChannel current = socket;
            if (current != null) {
                try {
                    current.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        @Override
        public void run() {
            long backoff = 100;
            while (!stopped) {
                try {
                    connectAndWrite();
                } catch (IOException | RuntimeException e) {
                    if (!stopped) {
                        LOG.debug("cluster link to {} broke: {}", peer, e.toString());
                    }
                }
                synchronized (this) {
                    writable = null;
                    unwritten = null; // half a chunk cannot go on another connection: lost, like frames in flight
                    failed = null;
                }
                try {
                    Thread.sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
                } catch (InterruptedException e) {
                    return;
                }
                backoff = connected ? 100 : Math.min(backoff * 2, 2_000);
                connected = false;
            }
        }

        private void connectAndWrite() throws IOException {
            PeerAddress address = PeerAddress.parse(peer);
            try (SocketChannel connection = SocketChannel.open(); Selector waiting = Selector.open()) {
                socket = connection;
                selector = waiting;
                if (stopped) {
                    return;
                }
                connection.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection.socket().connect(new InetSocketAddress(address.host(), address.port()),
                        CONNECT_TIMEOUT_MILLIS);
                ByteBuffer head = ByteBuffer.wrap(("POST " + ClusterEndpoint.PATH + " HTTP/1.1\r\nHost: " + peer
                        + "\r\nAuthorization: Bearer " + token + "\r\n" + ClusterEndpoint.X_RELAY_PEER + ": " + self
                        + "\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                while (head.hasRemaining()) {
                    connection.write(head); // blocking: a fresh connection's buffer takes it
                }
                connection.configureBlocking(false);
                SelectionKey key = connection.register(waiting, SelectionKey.OP_READ);
                connected = true; // a connection that was up starts the backoff over
                synchronized (this) {
                    writable = connection;
                    if (!queue.isEmpty()) {
                        writeQueued(); // what was queued while connecting
                    }
                }
                ByteBuffer answer = ByteBuffer.allocate(512);
                while (!stopped) {
                    synchronized (this) {
                        key.interestOps(unwritten != null ? SelectionKey.OP_READ | SelectionKey.OP_WRITE
                                : SelectionKey.OP_READ);
                    }
                    waiting.select(KEEPALIVE_MILLIS);
                    waiting.selectedKeys().clear();
                    int read = connection.read(answer);
                    if (read < 0) {
                        throw new IOException("closed by the peer");
                    }
                    if (read > 0) {
                        // the endpoint answers only to refuse: say why, and try again later
                        String line = new String(answer.array(), 0, answer.position(), StandardCharsets.ISO_8859_1)
                                .lines().findFirst().orElse("");
                        throw new IOException("refused: " + line);
                    }
                    synchronized (this) {
                        if (failed != null) {
                            throw failed;
                        }
                        if (unwritten != null) {
                            continueWriting();
                        }
                        if (unwritten == null && !queue.isEmpty()) {
                            writeQueued(); // frames flushed while the chunk before was still going out
                        }
                        if (unwritten == null && System.nanoTime() - lastChunkNanos
                                >= TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_MILLIS)) {
                            writeChunk(new ByteBuffer[] {null, ByteBuffer.wrap(KEEPALIVE), null}, KEEPALIVE.length);
                        }
                    }
                }
            } finally {
                socket = null;
                selector = null;
            }
        }
    }
}
