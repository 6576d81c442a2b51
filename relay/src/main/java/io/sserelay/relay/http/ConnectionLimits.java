package io.sserelay.relay.http;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission of subscriber connections, which anyone may open when subscribing is open: the
 * heap they hold together stays within a budget, and one source address may hold only so
 * many at a time.
 *
 * <p>A connection's heap is estimated from the number of streams it names and the size of its
 * request head, which stays on the heap while it streams. The figures were measured with
 * {@code jcmd GC.heap_info} on connections held open against a relay (see the memory section
 * of docs/relay.md): about 3.9 KB per connection (Undertow's exchange and connection, the
 * relay's queue and bookkeeping, a small request head) and 0.6 KB per stream (its copy and
 * place in the cluster protocol, and its name); they are rounded up. A head's characters are counted twice over, for the
 * strings Undertow makes of them and their objects.
 *
 * <p>Thread-safe; admissions and releases come from IO and worker threads.
 */
public final class ConnectionLimits {

    static final long CONNECTION_BYTES = 4096;
    static final long STREAM_BYTES = 640;

    /** Why a connection was refused. */
    public enum Refusal {
        /** The connections together would hold more heap than their budget. */
        MEMORY,
        /** The source address holds the most connections one address may hold. */
        PER_ADDRESS
    }

    private final ByteBudget budget;
    private final int perAddress;
    private final AtomicLong connections = new AtomicLong();
    private final ConcurrentHashMap<InetAddress, Integer> byAddress = new ConcurrentHashMap<>();

    /**
     * @param budgetBytes heap all subscriber connections may hold together
     * @param perAddress  connections one source address may hold; 0 for no limit
     */
    public ConnectionLimits(long budgetBytes, int perAddress) {
        this.budget = new ByteBudget(budgetBytes);
        this.perAddress = perAddress;
    }

    /** The estimated heap of a connection that names {@code streams} streams with a head of {@code headBytes}. */
    static long costOf(int streams, long headBytes) {
        return CONNECTION_BYTES + STREAM_BYTES * streams + 2 * headBytes;
    }

    /**
     * Admits a connection from {@code source} naming {@code streams} streams, with a request
     * head of {@code headBytes} characters.
     *
     * @return the admission, to release when the connection ends
     * @throws Refused when a limit is reached; nothing is held then
     */
    public Admission admit(InetAddress source, int streams, long headBytes) throws Refused {
        long cost = costOf(streams, headBytes);
        if (!budget.tryReserve(cost)) {
            throw new Refused(Refusal.MEMORY, "this relay holds as many subscriber connections as its memory allows ("
                    + connections.get() + " connections, " + budget.used() / 1024 + " KiB of a " + budget.limit() / 1024
                    + " KiB budget)");
        }
        if (perAddress > 0 && source != null) {
            boolean[] admitted = {false};
            byAddress.compute(source, (address, count) -> {
                int held = count == null ? 0 : count;
                if (held >= perAddress) {
                    return count;
                }
                admitted[0] = true;
                return held + 1;
            });
            if (!admitted[0]) {
                budget.release(cost);
                throw new Refused(Refusal.PER_ADDRESS, "your address " + source.getHostAddress() + " holds "
                        + perAddress + " subscriber connections to this relay, the most one address may hold");
            }
        }
        connections.incrementAndGet();
        return new Admission(source, cost);
    }

    /** Heap the admitted connections hold, by their estimate. */
    public long usedBytes() {
        return budget.used();
    }

    public long budgetBytes() {
        return budget.limit();
    }

    /** One admitted connection. */
    public final class Admission {

        private final InetAddress source;
        private final long cost;
        private final AtomicBoolean released = new AtomicBoolean();

        private Admission(InetAddress source, long cost) {
            this.source = source;
            this.cost = cost;
        }

        /** Gives the connection's share back; only the first call counts. */
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            budget.release(cost);
            connections.decrementAndGet();
            if (perAddress > 0 && source != null) {
                byAddress.computeIfPresent(source, (address, count) -> count <= 1 ? null : count - 1);
            }
        }
    }

    /** A connection that was not admitted, and why. */
    public static final class Refused extends Exception {

        private final Refusal reason;

        Refused(Refusal reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        public Refusal reason() {
            return reason;
        }
    }
}
