package io.sserelay.bench.client;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Holds thousands of SSE subscriptions cheaply: a few selector threads, each owning its
 * connections, one read buffer per thread, and an allocation-free decoder per connection.
 * Connections are spread over several local source addresses so that reconnect storms do not
 * run out of ephemeral ports on one address.
 *
 * <p>Latency is the time from an event's intended send time (stamped in its data by the paced
 * publisher) to its decoding here. Measuring from the intended rather than the actual send
 * time is what corrects for coordinated omission: a publisher held up by a slow relay does not
 * hide the delay, every event it sent late carries the delay in its latency.
 *
 * <p>Threads: {@link #subscribe} and {@link #closeAll} may be called from any thread; they hand
 * work to the selector threads. Latencies go into a wait-free {@link Recorder}.
 */
public final class SseLoadClient implements AutoCloseable {

    private static final long HIGHEST_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(5);

    private final List<Worker> workers = new ArrayList<>();
    private final List<InetAddress> sourceAddresses;
    private final AtomicInteger nextWorker = new AtomicInteger();
    private final AtomicInteger nextSource = new AtomicInteger();
    private final Recorder latency = new Recorder(HIGHEST_LATENCY_MICROS, 3);
    private final LongAdder delivered = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private volatile LongConsumer deliveryObserver = seq -> { };
    private volatile long recordLatencyFrom = Long.MAX_VALUE;

    /**
     * @param threads         selector threads
     * @param sourceAddresses local addresses connections are made from, in turn
     */
    public SseLoadClient(int threads, List<InetAddress> sourceAddresses) {
        if (sourceAddresses.isEmpty()) {
            throw new IllegalArgumentException("at least one source address is needed");
        }
        this.sourceAddresses = List.copyOf(sourceAddresses);
        for (int i = 0; i < threads; i++) {
            Worker worker = new Worker(i);
            workers.add(worker);
            worker.thread.start();
        }
    }

    /**
     * Opens a subscription to {@code path} on {@code relay}, resuming after {@code lastEventId}
     * when it is not null. Returns at once; the connection is made on a selector thread.
     */
    public Subscription subscribe(InetSocketAddress relay, String path, String lastEventId) {
        return subscribe(relay, path, lastEventId, null);
    }

    /** As {@link #subscribe(InetSocketAddress, String, String)}, presenting {@code token} (or none when null). */
    public Subscription subscribe(InetSocketAddress relay, String path, String lastEventId, String token) {
        Worker worker = workers.get(Math.floorMod(nextWorker.getAndIncrement(), workers.size()));
        Subscription subscription = new Subscription(worker, relay, path, lastEventId, token);
        InetAddress source = sourceAddresses.get(Math.floorMod(nextSource.getAndIncrement(), sourceAddresses.size()));
        worker.run(() -> worker.connect(subscription, source));
        return subscription;
    }

    /** Closes every connection from the client side, as a network drop would. */
    public void closeAll() {
        for (Worker worker : workers) {
            worker.run(worker::closeAll);
        }
    }

    /** Records the latency of events intended to be sent at or after {@code nanos} ({@link EventPayload#now()}). */
    public void recordLatencyFrom(long nanos) {
        latency.reset();
        recordLatencyFrom = nanos;
    }

    /** The latencies recorded since the last call (or since {@link #recordLatencyFrom}), in microseconds. */
    public Histogram takeLatency() {
        return latency.getIntervalHistogram();
    }

    /** Told the sequence number of every benchmark event delivered, on selector threads. */
    public void observeDeliveries(LongConsumer observer) {
        deliveryObserver = observer;
    }

    /** Benchmark events delivered to all subscriptions so far. */
    public long delivered() {
        return delivered.sum();
    }

    /** Subscriptions whose response is open now. */
    public int openSubscriptions() {
        return open.get();
    }

    @Override
    public void close() {
        for (Worker worker : workers) {
            worker.run(worker::shutDown);
        }
        for (Worker worker : workers) {
            try {
                worker.thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A selector thread and the connections it owns. */
    final class Worker {

        private final Thread thread;
        private final Selector selector;
        private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
        private boolean running = true;

        Worker(int index) {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            thread = new Thread(this::loop, "sse-load-" + index);
            thread.setDaemon(true);
        }

        void run(Runnable task) {
            tasks.add(task);
            selector.wakeup();
        }

        private void loop() {
            while (running) {
                try {
                    selector.select(this::ready, 1000);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }

        void connect(Subscription subscription, InetAddress source) {
            try {
                SocketChannel channel = SocketChannel.open();
                subscription.channel = channel;
                channel.configureBlocking(false);
                channel.bind(new InetSocketAddress(source, 0));
                subscription.request = subscription.requestBytes();
                if (channel.connect(subscription.relay())) {
                    subscription.key = channel.register(selector, SelectionKey.OP_WRITE, subscription);
                } else {
                    subscription.key = channel.register(selector, SelectionKey.OP_CONNECT, subscription);
                }
            } catch (IOException e) {
                subscription.fail("cannot connect from " + source.getHostAddress() + ": " + e.getMessage());
            }
        }

        private void ready(SelectionKey key) {
            Subscription subscription = (Subscription) key.attachment();
            try {
                if (key.isConnectable()) {
                    subscription.channel.finishConnect();
                    key.interestOps(SelectionKey.OP_WRITE);
                }
                if (key.isValid() && key.isWritable()) {
                    subscription.channel.write(subscription.request);
                    if (!subscription.request.hasRemaining()) {
                        subscription.request = null;
                        key.interestOps(SelectionKey.OP_READ);
                    }
                }
                if (key.isValid() && key.isReadable()) {
                    read(subscription);
                }
            } catch (IOException e) {
                subscription.fail(e.getMessage());
            } catch (SseResponseDecoder.MalformedResponseException e) {
                subscription.fail("malformed response: " + e.getMessage());
            }
        }

        private void read(Subscription subscription) throws IOException, SseResponseDecoder.MalformedResponseException {
            while (subscription.state() != Subscription.State.CLOSED && subscription.state() != Subscription.State.FAILED) {
                readBuffer.clear();
                int n = subscription.channel.read(readBuffer);
                if (n < 0) {
                    close(subscription, Subscription.State.CLOSED);
                    return;
                }
                if (n == 0) {
                    return;
                }
                subscription.decode(readBuffer.array(), n);
                if (n < readBuffer.capacity()) {
                    return;
                }
            }
        }

        void opened() {
            open.incrementAndGet();
        }

        void delivered(long seq, long intendedNanos) {
            delivered.increment();
            if (intendedNanos >= recordLatencyFrom) {
                long micros = (EventPayload.now() - intendedNanos) / 1000;
                latency.recordValue(Math.min(Math.max(micros, 0), HIGHEST_LATENCY_MICROS));
            }
            deliveryObserver.accept(seq);
        }

        void close(Subscription subscription, Subscription.State finalState) {
            Subscription.State state = subscription.state();
            if (state == Subscription.State.CLOSED || state == Subscription.State.FAILED) {
                return;
            }
            if (state == Subscription.State.OPEN) {
                open.decrementAndGet();
            }
            if (subscription.key != null) {
                subscription.key.cancel();
            }
            try {
                if (subscription.channel != null) {
                    subscription.channel.close();
                }
            } catch (IOException ignored) {
                // closing is all that was wanted
            }
            subscription.closed(finalState);
        }

        private void closeAll() {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Subscription subscription) {
                    close(subscription, Subscription.State.CLOSED);
                }
            }
        }

        private void shutDown() {
            closeAll();
            running = false;
        }
    }
}
