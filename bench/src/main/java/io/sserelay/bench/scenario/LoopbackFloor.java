package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.EventPayload;
import io.sserelay.bench.client.SseLoadClient;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What one event to every subscriber costs this machine without a relay: a bare server that
 * writes one event frame to each of its sockets from two threads (as a relay's two IO threads
 * would), read by the same load generator. Whatever a relay adds comes on top of this floor.
 *
 * <p>The server runs in a process of its own, as a relay does (one process could not hold
 * both ends of 10,000 connections within this machine's limit on open files). It accepts the
 * connections, answers each request with the headers of an event stream, and then, for each
 * line on its standard input, writes that line as an event's data to every socket.
 */
public final class LoopbackFloor {

    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final int WRITERS = 2;

    private LoopbackFloor() {
    }

    /**
     * Starts the server on {@code address}, opens {@code connections} subscriptions to it, then
     * sends {@code events} events one at a time and records, for each, how long until the last
     * subscriber had it (microseconds).
     */
    static Histogram measure(SseLoadClient client, InetSocketAddress address, int connections, int events)
            throws IOException, InterruptedException {
        Histogram lastArrival = new Histogram(3);
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LoopbackFloor.class.getName(),
                address.getHostString(), Integer.toString(address.getPort()), Integer.toString(connections))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (Writer commands = new OutputStreamWriter(server.getOutputStream(), StandardCharsets.US_ASCII)) {
            Await.until("the bare server to listen", Duration.ofSeconds(30), () -> listening(address, server));
            SubscriberGroup group = SubscriberGroup.open(client, connections, address, "/streams/floor")
                    .awaitOpen(Duration.ofSeconds(60));
            for (long seq = 1; seq <= events; seq++) {
                long sent = EventPayload.now();
                client.recordLatencyFrom(sent);
                commands.write(new String(EventPayload.encode(seq, sent, BenchContext.EVENT_BYTES),
                        StandardCharsets.US_ASCII) + "\n");
                commands.flush();
                group.awaitReceivedUpTo(seq, Duration.ofSeconds(30));
                lastArrival.recordValue(client.takeLatency().getMaxValue());
            }
            return lastArrival;
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            client.closeAll();
            Await.until("the floor's subscriptions to close", Duration.ofSeconds(30),
                    () -> client.openSubscriptions() == 0);
        }
    }

    private static boolean listening(InetSocketAddress address, Process server) {
        if (!server.isAlive()) {
            throw new IllegalStateException("the bare server exited with " + server.exitValue());
        }
        try (SocketChannel probe = SocketChannel.open(address)) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** The server: {@code LoopbackFloor host port connections}; event data on standard input. */
    public static void main(String[] args) throws IOException, InterruptedException {
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int connections = Integer.parseInt(args[2]);
        List<SocketChannel> sockets = new ArrayList<>(connections);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(address, connections);
            server.accept().close(); // the parent's probe
            ByteBuffer request = ByteBuffer.allocate(1024);
            while (sockets.size() < connections) {
                SocketChannel socket = server.accept();
                socket.read(request.clear()); // the request; its content does not matter here
                socket.write(ByteBuffer.wrap(HEAD));
                sockets.add(socket);
            }
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        long seq = 0;
        String data;
        while ((data = in.readLine()) != null) {
            String body = "id: floor:" + ++seq + "\ndata: " + data + "\n\n";
            writeToAll(sockets, (Integer.toHexString(body.length()) + "\r\n" + body + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void writeToAll(List<SocketChannel> sockets, byte[] frame) throws InterruptedException {
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int first = w;
            Thread writer = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocateDirect(frame.length);
                for (int i = first; i < sockets.size(); i += WRITERS) {
                    try {
                        sockets.get(i).write(buffer.clear().put(frame).flip());
                    } catch (IOException e) {
                        throw new IllegalStateException("a floor socket failed", e);
                    }
                }
            }, "floor-writer-" + w);
            writer.start();
            writers.add(writer);
        }
        for (Thread writer : writers) {
            writer.join();
        }
    }
}
