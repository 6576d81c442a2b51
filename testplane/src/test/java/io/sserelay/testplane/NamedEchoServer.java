package io.sserelay.testplane;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a test pod runs: a TCP server on the pod's address that greets each connection with its
 * name and a newline, then echoes what it reads and half-closes when the client does.
 *
 * <p>Threads: one accept thread, and one thread per connection.
 */
final class NamedEchoServer implements AutoCloseable {

    private final String name;
    private final ServerSocket socket;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    NamedEchoServer(String name, String ip) throws IOException {
        this.name = name;
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
        Thread acceptor = new Thread(this::accept, "echo-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.add(connection);
                Thread echo = new Thread(() -> echo(connection), "echo-" + name);
                echo.setDaemon(true);
                echo.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void echo(Socket connection) {
        try (connection) {
            OutputStream out = connection.getOutputStream();
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = connection.getInputStream();
            in.transferTo(out);
            connection.shutdownOutput();
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket connection : connections) {
            connection.close();
        }
    }
}
