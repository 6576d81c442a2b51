package io.sserelay.relay.http;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.conduits.IdleTimeoutConduit;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The relay's HTTP/1.1 listeners: Undertow's HTTP protocol on an XNIO worker, assembled from
 * Undertow's public parts (its "assembling a server manually") instead of {@code Undertow.builder()},
 * because the builder offers no place between accepting a connection and handing it to Undertow.
 * The settings are those the builder would use, with two additions so that framing Undertow
 * refuses is answered with the relay's JSON errors: every connection's output goes through a
 * {@link JsonBadRequestConduit} (a request head Undertow cannot parse; for that, answers to
 * pipelined requests are not buffered), and every listener's handlers come after a
 * {@link ChunkedRequestHandler} (a chunked body that breaks the chunked coding).
 *
 * <p>Threads: {@link #start()} and {@link #stop()} run on the caller's thread; connections are
 * served on the worker's IO threads, as with the builder.
 */
public final class RelayServer {

    /**
     * One port and what serves it.
     *
     * @param maxConnections connections the port holds at most; at that number it stops
     *                       accepting (new ones wait in the kernel's backlog) until a tenth
     *                       of them have closed
     */
    public record Listener(String host, int port, HttpHandler handler, int maxConnections) {

        /** A port with no limit of its own on connections. */
        public Listener(String host, int port, HttpHandler handler) {
            this(host, port, handler, UNLIMITED_CONNECTIONS);
        }
    }

    /** What the builder allows: in effect no limit. */
    static final int UNLIMITED_CONNECTIONS = 1_000_000;

    private final Duration idleTimeout;
    private final int ioThreads;
    private final int workerThreads;
    private final int acceptBacklog;
    private final OptionMap serverOptions;
    private final List<Listener> listeners;
    private final List<AcceptingChannel<StreamConnection>> channels = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private XnioWorker worker;

    /**
     * @param serverOptions Undertow's options ({@link UndertowOptions}) for every listener
     * @param acceptBacklog connections the kernel may queue for accepting on each port
     * @param idleTimeout   a connection that sends and receives nothing this long is closed
     */
    public RelayServer(int ioThreads, int workerThreads, int acceptBacklog, OptionMap serverOptions,
            Duration idleTimeout, List<Listener> listeners) {
        this.idleTimeout = idleTimeout;
        this.ioThreads = ioThreads;
        this.workerThreads = workerThreads;
        this.acceptBacklog = acceptBacklog;
        this.serverOptions = serverOptions;
        this.listeners = List.copyOf(listeners);
    }

    /** Starts the worker and binds every listener; on failure nothing is left running. */
    public synchronized void start() {
        try {
            // Undertow's class loader, as the builder uses: it finds XNIO's NIO provider.
            worker = Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, ioThreads)
                    .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                    .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                    .set(Options.WORKER_TASK_CORE_THREADS, workerThreads)
                    .set(Options.WORKER_TASK_MAX_THREADS, workerThreads)
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.CORK, true)
                    .getMap());
            OptionMap commonSocketOptions = OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, worker.getIoThreadCount())
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.REUSE_ADDRESSES, true)
                    .set(Options.BALANCING_TOKENS, 1)
                    .set(Options.BALANCING_CONNECTIONS, 2)
                    .set(Options.BACKLOG, acceptBacklog)
                    .getMap();
            OptionMap protocolOptions = OptionMap.builder()
                    // The builder buffers the answers to pipelined requests. Undertow then either
                    // copies its bad-request bytes behind them into one write, which
                    // JsonBadRequestConduit cannot tell apart, or closes the connection with the
                    // earlier answers still in the buffer.
                    .set(UndertowOptions.BUFFER_PIPELINED_DATA, false)
                    .addAll(serverOptions)
                    .getMap();
            ByteBufferPool buffers = defaultBufferPool();
            for (Listener listener : listeners) {
                OptionMap socketOptions = OptionMap.builder().addAll(commonSocketOptions)
                        .set(Options.CONNECTION_HIGH_WATER, listener.maxConnections())
                        .set(Options.CONNECTION_LOW_WATER, Math.max(1, listener.maxConnections() - listener.maxConnections() / 10))
                        .getMap();
                HttpOpenListener http = new HttpOpenListener(buffers, protocolOptions);
                http.setRootHandler(new ChunkedRequestHandler(listener.handler()));
                ChannelListener<StreamConnection> accepted = connection -> {
                    connection.getSinkChannel().setConduit(
                            new JsonBadRequestConduit(connection.getSinkChannel().getConduit()));
                    // Undertow's IDLE_TIMEOUT option installs this conduit without its timeout.
                    IdleTimeoutConduit idle = new IdleTimeoutConduit(connection);
                    idle.setIdleTimeout(idleTimeout.toMillis());
                    connection.getSourceChannel().setConduit(idle);
                    connection.getSinkChannel().setConduit(idle);
                    http.handleEvent(connection);
                };
                AcceptingChannel<StreamConnection> channel = worker.createStreamConnectionServer(
                        new InetSocketAddress(InetAddress.getByName(listener.host()), listener.port()),
                        ChannelListeners.openListenerAdapter(accepted), socketOptions);
                channel.resumeAccepts();
                channels.add(channel);
                addresses.add(channel.getLocalAddress(InetSocketAddress.class));
            }
        } catch (IOException e) {
            closeChannels();
            if (worker != null) {
                worker.shutdownNow();
                worker = null;
            }
            throw new UncheckedIOException("could not start the HTTP listeners", e);
        }
    }

    /** The address listener {@code index} (in the constructor's order) is or was bound to. */
    public synchronized InetSocketAddress address(int index) {
        return addresses.get(index);
    }

    /**
     * Stops accepting, then stops the worker once its tasks are done, as {@code Undertow.stop()}
     * does without a shutdown timeout. Open connections are not waited for.
     */
    public synchronized void stop() {
        closeChannels();
        if (worker == null) {
            return;
        }
        worker.shutdown();
        try {
            worker.awaitTermination();
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        worker = null;
    }

    private void closeChannels() {
        channels.forEach(IoUtils::safeClose);
        channels.clear();
    }

    /** The pool {@code Undertow.Builder} makes: its buffer sizes by the heap the JVM may use. */
    private static ByteBufferPool defaultBufferPool() {
        long maxMemory = Runtime.getRuntime().maxMemory();
        if (maxMemory < 64 * 1024 * 1024) {
            return new DefaultByteBufferPool(false, 512, -1, 4);
        } else if (maxMemory < 128 * 1024 * 1024) {
            return new DefaultByteBufferPool(true, 1024, -1, 4);
        }
        return new DefaultByteBufferPool(true, 16_364, -1, 4);
    }
}
