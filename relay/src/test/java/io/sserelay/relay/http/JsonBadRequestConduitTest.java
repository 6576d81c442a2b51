package io.sserelay.relay.http;

import io.undertow.Undertow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sserelay.relay.http.JsonBadRequestConduit.UNDERTOWS_BAD_REQUEST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The conduit over a real socket: XNIO's own conduit under it, a plain socket reading at the other
 * end, small socket buffers so that filling them is quick.
 */
class JsonBadRequestConduitTest {

    private static final String BODY = "{\"error\":\"malformed_request\",\"message\":\"" + JsonBadRequestConduit.MESSAGE
            + "\"}";

    private XnioWorker worker;
    private StreamConnection connection;
    private Socket client;
    private JsonBadRequestConduit conduit;

    @BeforeEach
    void connect() throws Exception {
        worker = Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(4096);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            connection = worker.openStreamConnection(server.getLocalSocketAddress(), null,
                    OptionMap.create(Options.SEND_BUFFER, 4096)).get();
            client = server.accept();
        }
        conduit = new JsonBadRequestConduit(connection.getSinkChannel().getConduit());
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        connection.close();
        worker.shutdownNow();
    }

    @Test
    void undertowsBadRequestBecomesTheJsonError() throws Exception {
        ByteBuffer undertows = ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST.clone());
        assertThat(conduit.write(undertows)).isEqualTo(UNDERTOWS_BAD_REQUEST.length);
        assertThat(undertows.hasRemaining()).isFalse();
        conduit.terminateWrites();
        assertThat(conduit.flush()).isTrue();

        assertIsTheJsonAnswer(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aGatheringWriteOfUndertowsBytesIsAnsweredTheSame() throws Exception {
        ByteBuffer[] gather = {ByteBuffer.allocate(0), ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST, 0, 10).slice(),
                ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST, 10, UNDERTOWS_BAD_REQUEST.length - 10).slice()};
        assertThat(conduit.write(gather, 0, gather.length)).isEqualTo(UNDERTOWS_BAD_REQUEST.length);
        conduit.terminateWrites();
        assertThat(conduit.flush()).isTrue();

        assertIsTheJsonAnswer(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** A stream that resumes a frame after a partial write may resume at any byte; it is left alone. */
    @Test
    void theSameBytesFromTheMiddleOfABufferOrWithOthersPassThrough() throws Exception {
        byte[] frame = new byte[UNDERTOWS_BAD_REQUEST.length + 1];
        frame[0] = 2;
        System.arraycopy(UNDERTOWS_BAD_REQUEST, 0, frame, 1, UNDERTOWS_BAD_REQUEST.length);
        ByteBuffer resumed = ByteBuffer.wrap(frame);
        resumed.position(1);
        conduit.write(resumed);
        ByteBuffer[] gather = {ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST), ByteBuffer.wrap(new byte[] {'x'})};
        conduit.write(gather, 0, gather.length);
        conduit.terminateWrites();
        assertThat(conduit.flush()).isTrue();

        byte[] expected = new byte[UNDERTOWS_BAD_REQUEST.length * 2 + 1];
        System.arraycopy(UNDERTOWS_BAD_REQUEST, 0, expected, 0, UNDERTOWS_BAD_REQUEST.length);
        System.arraycopy(UNDERTOWS_BAD_REQUEST, 0, expected, UNDERTOWS_BAD_REQUEST.length, UNDERTOWS_BAD_REQUEST.length);
        expected[expected.length - 1] = 'x';
        assertThat(client.getInputStream().readAllBytes()).isEqualTo(expected);
    }

    @Test
    void anAnswerTheSocketCannotTakeAtOnceGoesOutOnFlushAndThenWritesShutDown() throws Exception {
        long filled = fillTheSocket();
        assertThat(conduit.write(ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST.clone()))).isEqualTo(UNDERTOWS_BAD_REQUEST.length);
        conduit.terminateWrites();
        assertThat(conduit.flush()).as("flushed into a full socket").isFalse();
        assertThat(conduit.isWriteShutdown()).isTrue();

        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try {
                return client.getInputStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        await().until(conduit::flush);
        byte[] all = received.get(30, TimeUnit.SECONDS); // ends: writes were shut down once the answer was out
        byte[] filler = new byte[(int) filled];
        Arrays.fill(filler, (byte) 'f');
        assertThat(Arrays.copyOf(all, (int) filled)).isEqualTo(filler);
        assertIsTheJsonAnswer(new String(all, (int) filled, all.length - (int) filled, StandardCharsets.UTF_8));
    }

    private long fillTheSocket() throws IOException {
        byte[] bytes = new byte[8192];
        Arrays.fill(bytes, (byte) 'f');
        long filled = 0;
        int written;
        do {
            written = conduit.write(ByteBuffer.wrap(bytes));
            filled += written;
        } while (written > 0);
        return filled;
    }

    private static void assertIsTheJsonAnswer(String response) {
        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .contains("\r\nDate: ", "\r\nContent-Type: application/json\r\n", "\r\nConnection: close\r\n",
                        "\r\nContent-Length: " + BODY.length() + "\r\n")
                .endsWith("\r\n\r\n" + BODY);
    }
}
