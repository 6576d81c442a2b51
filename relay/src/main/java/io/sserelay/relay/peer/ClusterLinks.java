package io.sserelay.relay.peer;

import io.sserelay.relay.cluster.ClusterNode.Transport;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
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
 * only queues, and {@code flush} wakes the links that have something new, so that what one burst
 * of the protocol's work sends a peer goes in one chunk and one write. Each link has a daemon
 * thread that connects and writes with blocking IO.
 */
public final class ClusterLinks implements Transport, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLinks.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final long KEEPALIVE_MILLIS = 1_000;
    private static final byte[] KEEPALIVE = {0, 0, 0, 0};
    private static final byte[] CRLF = {'\r', '\n'};
    private static final int WRITE_BUFFER_BYTES = 64 * 1024;

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
            link.wake();
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

    private final class Link implements Runnable {
        private final String peer;
        private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
        private long queuedBytes;
        private volatile boolean stopped;
        private volatile Socket socket;
        private volatile boolean connected;
        private final Thread thread;

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

        synchronized void wake() {
            notifyAll();
        }

        /** Waits for frames and takes all of them, or returns null after the keepalive interval. */
        private synchronized ByteBuffer[] take() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_MILLIS);
            while (queue.isEmpty() && !stopped) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            ByteBuffer[] frames = queue.toArray(new ByteBuffer[0]);
            queue.clear();
            queuedBytes = 0;
            return frames;
        }

        void stop() {
            stopped = true;
            synchronized (this) {
                notifyAll();
            }
            Socket current = socket;
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
                } catch (InterruptedException e) {
                    return;
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

        private void connectAndWrite() throws IOException, InterruptedException {
            PeerAddress address = PeerAddress.parse(peer);
            try (Socket connection = new Socket()) {
                socket = connection;
                if (stopped) {
                    return;
                }
                connection.setTcpNoDelay(true);
                connection.connect(new InetSocketAddress(address.host(), address.port()), CONNECT_TIMEOUT_MILLIS);
                // one write per chunk: its size line, its frames and its end go out together
                OutputStream out = new BufferedOutputStream(connection.getOutputStream(), WRITE_BUFFER_BYTES);
                InputStream in = connection.getInputStream();
                out.write(("POST " + ClusterEndpoint.PATH + " HTTP/1.1\r\nHost: " + peer + "\r\nAuthorization: Bearer "
                        + token + "\r\n" + ClusterEndpoint.X_RELAY_PEER + ": " + self
                        + "\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                connected = true; // a connection that was up starts the backoff over
                while (!stopped) {
                    ByteBuffer[] frames = take();
                    if (in.available() > 0) {
                        // the endpoint answers only to refuse: say why, and try again later
                        byte[] answer = in.readNBytes(Math.min(in.available(), 512));
                        String line = new String(answer, StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
                        throw new IOException("refused: " + line);
                    }
                    writeChunk(out, frames);
                }
            } finally {
                socket = null;
            }
        }

        private void writeChunk(OutputStream out, ByteBuffer[] frames) throws IOException {
            int length = 0;
            if (frames == null) {
                length = KEEPALIVE.length;
            } else {
                for (ByteBuffer frame : frames) {
                    length += frame.remaining();
                }
            }
            if (length == 0) {
                return;
            }
            out.write(Integer.toHexString(length).getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            if (frames == null) {
                out.write(KEEPALIVE);
            } else {
                for (ByteBuffer frame : frames) {
                    out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
                }
            }
            out.write(CRLF);
            out.flush();
            sentBytes.add(length + Integer.toHexString(length).length() + 2L * CRLF.length);
        }
    }
}
