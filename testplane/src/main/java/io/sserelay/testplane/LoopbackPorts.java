package io.sserelay.testplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on 127.0.0.1, for components that must be told their port before they start. */
final class LoopbackPorts {

    static final String ADDRESS = "127.0.0.1";

    private LoopbackPorts() {
    }

    /**
     * A port that was free a moment ago. Another process could take it before the component
     * binds; the component then fails to start and says so in its log, which is rare enough for
     * tests.
     */
    static int free() {
        try (var socket = new ServerSocket(0, 1, InetAddress.getByName(ADDRESS))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + ADDRESS, e);
        }
    }
}
