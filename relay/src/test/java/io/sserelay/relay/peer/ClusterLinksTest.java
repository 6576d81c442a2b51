package io.sserelay.relay.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sserelay.relay.cluster.FrameDecoder;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Forward;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.StringPayloads;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sending side of the peer protocol against a peer written here from the wire format (an
 * HTTP/1.1 {@code POST} with a chunked body of length-prefixed frames): a flush never waits for a
 * peer that does not read, what waits goes out in order once it reads, a refused link connects
 * again, an idle one sends keepalives, and a link to a relay that left is closed.
 */
class ClusterLinksTest {

    private static final String SELF = "127.0.0.71:7070";
    private static final String TOKEN = "cluster-links-token-0123";
    private static final MessageCodec<String> CODEC = new MessageCodec<>(StringPayloads.CODEC, 1_000, 1 << 16, 16 << 20);

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable each : closing) {
            each.close();
        }
    }

    private ClusterLinks links(long maxQueuedBytes) {
        ClusterLinks links = new ClusterLinks(SELF, TOKEN, CODEC, maxQueuedBytes);
        closing.add(links);
        return links;
    }

    private FakePeer peer(boolean refuseFirst) throws IOException {
        FakePeer peer = new FakePeer(refuseFirst);
        closing.add(0, peer); // closed after the links, so that it sees them go
        return peer;
    }

    private static Envelope forward(long number, String payload) {
        return new Envelope(SELF, 1, 1, new Forward<>(number, "s", List.of(payload), null, null, 1_000));
    }

    private static long numberOf(Envelope envelope) {
        return ((Forward<?>) envelope.body()).requestId();
    }

    @Test
    void aFlushNeverWaitsForAPeerThatDoesNotRead() throws Exception {
        FakePeer peer = peer(false);
        peer.holdReading();
        ClusterLinks links = links(256L << 20);
        String payload = "x".repeat(16 * 1024);
        int messages = 2_000; // 32 MiB: far more than loopback's socket buffers take
        CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
            for (int i = 1; i <= messages; i++) {
                links.send(peer.address(), forward(i, payload));
                links.flush();
            }
        });
        // Were a flush to write with blocking IO, it would wait here until the peer read.
        await().atMost(Duration.ofSeconds(60)).until(sending::isDone);
        assertThat(sending).isCompleted();
        assertThat(peer.received()).isEmpty();

        peer.startReading();
        await().atMost(Duration.ofSeconds(60)).until(() -> peer.received().size() == messages);
        List<Long> numbers = peer.received().stream().map(ClusterLinksTest::numberOf).toList();
        assertThat(numbers).isSorted().doesNotHaveDuplicates().startsWith(1L).endsWith((long) messages);
        assertThat(peer.connections()).isEqualTo(1);
        assertThat(links.sentBytes()).isGreaterThan((long) messages * payload.length());
    }

    @Test
    void aRefusedLinkConnectsAgainAndDelivers() throws Exception {
        FakePeer peer = peer(true);
        ClusterLinks links = links(1L << 20);
        AtomicInteger number = new AtomicInteger();
        // What went on the refused connection is lost, as on any broken one; what follows arrives.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            links.send(peer.address(), forward(number.incrementAndGet(), "hello"));
            links.flush();
            return !peer.received().isEmpty();
        });
        assertThat(peer.connections()).isGreaterThanOrEqualTo(2);
        assertThat(peer.heads().get(0)).startsWith("POST " + ClusterEndpoint.PATH + " HTTP/1.1\r\n")
                .contains("Authorization: Bearer " + TOKEN + "\r\n", ClusterEndpoint.X_RELAY_PEER + ": " + SELF + "\r\n",
                        "Transfer-Encoding: chunked\r\n");
    }

    @Test
    void anIdleLinkSendsKeepalivesAndALinkToARelayThatLeftCloses() throws Exception {
        FakePeer peer = peer(false);
        ClusterLinks links = links(1L << 20);
        links.send(peer.address(), forward(1, "hello"));
        links.flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.received().size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.keepalives() >= 2);

        links.peersAre(Set.of());
        await().atMost(Duration.ofSeconds(10)).until(peer::sawEnd);
        assertThat(links.linkCount()).isZero();
    }

    /**
     * A peer's endpoint in miniature: accepts links, reads each one's request head, then its
     * chunked body, and decodes the frames. It may refuse its first connection, as an endpoint
     * refuses a wrong token, and hold off reading, as a peer too busy to read does.
     */
    private static final class FakePeer implements AutoCloseable {
        private final ServerSocket server;
        private final boolean refuseFirst;
        private final List<Envelope> received = Collections.synchronizedList(new ArrayList<>());
        private final List<String> heads = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger keepalives = new AtomicInteger();
        private volatile CountDownLatch reading = new CountDownLatch(0);
        private volatile boolean sawEnd;
        private final Thread acceptor;

        FakePeer(boolean refuseFirst) throws IOException {
            this.refuseFirst = refuseFirst;
            this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.72"));
            this.acceptor = new Thread(this::accept, "fake-peer");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String address() {
            return "127.0.0.72:" + server.getLocalPort();
        }

        void holdReading() {
            reading = new CountDownLatch(1);
        }

        void startReading() {
            reading.countDown();
        }

        List<Envelope> received() {
            synchronized (received) {
                return new ArrayList<>(received);
            }
        }

        List<String> heads() {
            return heads;
        }

        int connections() {
            return connections.get();
        }

        int keepalives() {
            return keepalives.get();
        }

        boolean sawEnd() {
            return sawEnd;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket connection = server.accept();
                    int number = connections.incrementAndGet();
                    Thread reader = new Thread(() -> serve(connection, number), "fake-peer-" + number);
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket connection, int number) {
            try (connection) {
                InputStream in = new BufferedInputStream(connection.getInputStream());
                heads.add(readHead(in));
                if (refuseFirst && number == 1) {
                    OutputStream out = connection.getOutputStream();
                    out.write("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                }
                reading.await();
                FrameDecoder<String> decoder = new FrameDecoder<>(CODEC);
                while (true) {
                    String sizeLine = readLine(in);
                    if (sizeLine == null) {
                        sawEnd = true;
                        return;
                    }
                    byte[] chunk = in.readNBytes(Integer.parseInt(sizeLine, 16));
                    readLine(in); // the chunk's CRLF
                    if (chunk.length == 4 && chunk[0] == 0 && chunk[1] == 0 && chunk[2] == 0 && chunk[3] == 0) {
                        keepalives.incrementAndGet();
                    }
                    received.addAll(decoder.feed(ByteBuffer.wrap(chunk)));
                }
            } catch (IOException e) {
                sawEnd = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static String readHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            String line;
            while ((line = readLine(in)) != null && !line.isEmpty()) {
                head.append(line).append("\r\n");
            }
            return head.toString();
        }

        /** A line without its CRLF, or null at the end of the stream. */
        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, length, StandardCharsets.US_ASCII);
                }
                line.write(b);
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            reading.countDown();
            server.close();
        }
    }
}
