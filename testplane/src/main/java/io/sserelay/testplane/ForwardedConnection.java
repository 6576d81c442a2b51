package io.sserelay.testplane;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection and the connection to the endpoint it was forwarded to, copying bytes
 * both ways until both sides are done. An end of stream on one side is passed on as a half-close
 * to the other, as a kernel forwarding a TCP connection does; a reset or error on either side, or
 * {@link #close()}, closes both.
 *
 * <p>Threads: one thread per direction, each blocked in a read; the thread that finishes last
 * closes both sockets and runs the {@code onClosed} callback.
 */
final class ForwardedConnection implements AutoCloseable {

    private static final int BUFFER_BYTES = 16 * 1024;

    private final Socket client;
    private final Socket upstream;
    private final ServiceEndpoint endpoint;
    private final Runnable onClosed;
    private final AtomicInteger directionsRunning = new AtomicInteger(2);

    ForwardedConnection(Socket client, Socket upstream, ServiceEndpoint endpoint, Runnable onClosed) {
        this.client = client;
        this.upstream = upstream;
        this.endpoint = endpoint;
        this.onClosed = onClosed;
    }

    /** Where the client connected from, as the client sees its own socket. */
    InetSocketAddress clientAddress() {
        return (InetSocketAddress) client.getRemoteSocketAddress();
    }

    ServiceEndpoint endpoint() {
        return endpoint;
    }

    /** Copies upstream's bytes to the client on a new thread, and the client's to upstream on this one. */
    void run(String name) {
        Thread back = new Thread(() -> copy(upstream, client), name + "-back");
        back.setDaemon(true);
        back.start();
        copy(client, upstream);
    }

    private void copy(Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeBoth(); // a reset, or the other direction or close() closed the sockets
        } finally {
            if (directionsRunning.decrementAndGet() == 0) {
                closeBoth();
                onClosed.run();
            }
        }
    }

    private void closeBoth() {
        closeQuietly(client);
        closeQuietly(upstream);
    }

    @Override
    public void close() {
        closeBoth();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }
}
