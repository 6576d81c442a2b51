package io.sserelay.relay.peer;

import io.sserelay.relay.http.PublishLimits;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.replication.HeldFromPeer;
import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StreamHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * This relay following one peer: one persistent HTTP/1.1 connection on which the peer sends
 * its own events, starting after this relay's position, so a reconnect picks up exactly where
 * the last connection stopped. Events are applied to the hub in batches of what has arrived.
 * On any failure the link reconnects with capped, jittered backoff until it is stopped.
 *
 * <p>The request is a {@code POST} whose chunked body stays open: in it the link acknowledges
 * the peer's replicated publishes, which it holds ({@link HeldFromPeer}) until the peer commits
 * or aborts them. A peer of an earlier version refuses the {@code POST} (405); the link then
 * follows it with the older {@code GET} and receives committed events only.
 *
 * <p>A peer that leaves the peer set is not dropped at once: it may be alive (the operator takes
 * a relay out of the set as soon as its deletion starts) and deciding publishes this relay
 * holds. The link {@link #leave leaves}: it follows on, as before, until it holds nothing (or
 * for {@link #LEAVING_LIMIT_NANOS} at most), reconnecting if the connection breaks, and counts
 * the peer's origin as gone ({@link HeldFromPeer}) only when the peer cannot be reached.
 *
 * <p>Threads: one thread per link runs the connection with blocking IO and a read timeout, and
 * writes the acknowledgements; {@link #stop} closes the socket from any thread, which ends a
 * blocked read at once. Blocking writes have no timeout of their own: a shared watchdog closes
 * the socket of a write that has waited longer than the read timeout.
 */
final class PeerLink {

    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5000;
    /**
     * The longest wait between attempts to connect to a peer nobody answers for: a relay whose
     * pod is starting is reached within this of binding its port, and an attempt on a dead
     * address costs one refused connection.
     */
    private static final long MAX_UNREACHABLE_BACKOFF_MILLIS = 1000;
    private static final int MAX_BATCH = 512;
    private static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    /**
     * The longest a leaving link waits for its peer to decide what it holds: beyond the longest
     * acknowledgement timeout an SseRelay allows (one minute), so an alive peer always decides first.
     */
    static final long LEAVING_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(2);
    /** Beyond the limit, how long a catch-up under way may still settle what a leaving link holds. */
    static final long CATCH_UP_GRACE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /**
     * How long attempts to reach a peer that left must fail before its origin counts as gone: a
     * few attempts, so that one refused connection (a restarting listener, a closed socket) is
     * not taken for a dead relay.
     */
    static final long UNREACHABLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peer-link-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final PeerAddress peer;
    private final PeerAddress selfAddress;
    private final StreamHub hub;
    private final PeerSettings settings;
    private final RelayMetrics metrics;
    private final HeldFromPeer held;
    private final Thread thread;
    private volatile boolean stopped;
    /** Since {@link #leave}, when the peer left the peer set; 0 before. */
    private volatile long leftAtNanos;
    /** How many pending events the link holds, for {@link #leave} to read from another thread. */
    private volatile int holding;
    /** When a blocking write began, 0 when none is under way: for the watchdog. */
    private volatile long writingSinceNanos;
    private ScheduledFuture<?> watchdog;
    /** Set when the link has decided to end; guarded by this. */
    private boolean ended;
    /** Set last, once the link's thread has let go of everything, its origin included. */
    private volatile boolean finished;
    /** Whether the current attempt reached the peer: it answered 200 and said HELLO. */
    private boolean reached;
    /** Whether the current attempt was refused because this relay is not (yet) in the peer's set. */
    private boolean strangerRefusal;
    /** Set by {@link #leave} when it closes the socket itself: that is no sign of an unreachable peer. */
    private volatile boolean closedByLeave;
    /** Since when attempts to reach the peer have failed, 0 while they succeed. */
    private long failingSinceNanos;
    /** The link this one replaces, whose thread may still be ending: it ends before this one follows. */
    private final PeerLink previous;
    /** The peer refused the POST: it is of an earlier version, and is followed with GET. */
    private volatile boolean olderPeer;
    /** Set when the peer's HELLO named this relay's own origin. */
    private volatile boolean self;
    private volatile Socket socket;
    private volatile boolean connected;
    private String lastRefusal;
    /** The next connection comes at once: with GET after a refused POST, or with POST after a restart. */
    private boolean reconnectAtOnce;
    /** The peer's origin as of its last HELLO; it changes when the peer restarts. */
    private volatile String peerOrigin;
    /** What the last attempt found: what {@link ClusterJoin} reads to know whom to wait for. */
    private volatile Contact contact = Contact.NOT_TRIED;
    /** Set by {@link #retryNow}: the next attempt comes without waiting out the backoff. */
    private boolean wake;

    /** What the link knows of its peer. */
    enum Contact {
        /** No attempt has ended yet. */
        NOT_TRIED,
        /** The last attempt got no answer: nothing listens there (yet), or the network drops it. */
        UNREACHABLE,
        /** The peer answered, but is not streaming to this relay now (a refusal, or a stream that ended). */
        ANSWERED,
        /** The peer answered that it is shutting down. */
        SHUTTING_DOWN,
        /** The peer's stream is open. */
        FOLLOWING
    }

    PeerLink(PeerAddress peer, PeerAddress selfAddress, StreamHub hub, PeerSettings settings, RelayMetrics metrics,
            IdempotencyKeys keys, PeerLink previous) {
        this.peer = peer;
        this.previous = previous;
        this.selfAddress = selfAddress;
        this.hub = hub;
        this.settings = settings;
        this.metrics = metrics;
        this.held = new HeldFromPeer(hub, keys, settings.heldMaxBytes(), settings.maxEventBytes(),
                () -> metrics.peerFrameRejected("event_too_large"));
        this.thread = new Thread(this::run, "peer-link-" + peer);
        thread.setDaemon(true);
    }

    void start() {
        long period = Math.max(100, settings.readTimeout().toMillis() / 4);
        watchdog = WATCHDOG.scheduleWithFixedDelay(this::checkWrite, period, period, TimeUnit.MILLISECONDS);
        thread.start();
    }

    /** This relay stops: what the link holds is dropped, as the peer may still decide it. */
    void stop() {
        stopped = true;
        closeQuietly(socket);
        thread.interrupt();
    }

    /** The peer left the peer set: see the class comment. */
    synchronized void leave() {
        leftAtNanos = System.nanoTime() | 1;
        if (holding == 0) {
            // Nothing to wait for. Should an event be held meanwhile, the link reconnects and the
            // peer's catch-up settles it.
            closedByLeave = true;
            closeQuietly(socket);
        }
    }

    /**
     * The peer is back in the peer set before its leaving link ended: the link follows on.
     *
     * @return false when the link has ended already; then a new one must follow the peer
     */
    synchronized boolean rejoin() {
        if (ended) {
            return false;
        }
        leftAtNanos = 0;
        return true;
    }

    /** Whether the link's thread has ended and released the origin it followed. */
    boolean finished() {
        return finished;
    }

    /** Ends a leaving link, unless it rejoined meanwhile. */
    private synchronized boolean endLeaving() {
        if (!leaving()) {
            return false;
        }
        ended = true;
        return true;
    }

    private boolean leaving() {
        return leftAtNanos != 0;
    }

    /**
     * Whether a leaving link has waited long enough for its peer to decide: the limit, and a
     * little longer while a catch-up is settling stale events (ending then would deliver events
     * the catch-up is about to report aborted).
     */
    private boolean leftTooLongAgo() {
        long left = leftAtNanos;
        if (left == 0) {
            return false;
        }
        long waited = System.nanoTime() - left;
        return waited > LEAVING_LIMIT_NANOS + (held.syncing() ? CATCH_UP_GRACE_NANOS : 0);
    }

    /** Waits for this link's thread to end, after {@link #ended()}. */
    void awaitEnd() throws InterruptedException {
        thread.join();
    }

    /** Whether the peer was found to be of a version that cannot acknowledge publishes. */
    boolean olderPeer() {
        return olderPeer;
    }

    /** Whether the peer turned out to be this relay itself. */
    boolean isSelf() {
        return self;
    }

    /** True while a stream from the peer is open and its HELLO was received. */
    boolean connected() {
        return connected;
    }

    Contact contact() {
        return contact;
    }

    /**
     * The peer showed it is there (it asked to follow this relay): if the link is waiting out a
     * backoff, it tries again now, so a relay that just started is followed at once.
     */
    synchronized void retryNow() {
        wake = true;
        notifyAll();
    }

    /** Waits up to {@code millis}, or until {@link #retryNow}. */
    private synchronized void backOff(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!wake && !stopped) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        wake = false;
    }

    private void run() {
        try {
            if (previous != null) {
                // The link this one replaces may still be delivering what it held.
                previous.awaitEnd();
            }
            followUntilDone();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                ended = true;
            }
            watchdog.cancel(false);
            held.clear(); // frees the keys of anything still held, whatever ended the link
            holding = 0;
            hub.releaseOrigin(this);
            finished = true;
        }
    }

    private void followUntilDone() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!stopped) {
            reached = false;
            strangerRefusal = false;
            long attemptStart = System.nanoTime();
            try {
                follow();
            } catch (PeerProtocolException e) {
                metrics.peerFrameRejected(e.reason());
                LOG.warn("dropped the stream from peer {}: {}", peer, e.getMessage());
            } catch (IOException e) {
                if (!stopped) {
                    LOG.debug("stream from peer {} ended: {}", peer, e.toString());
                }
            } catch (RuntimeException e) {
                // A broken invariant here must not end the link for good, with keys still claimed.
                LOG.error("following peer {} failed; following it again", peer, e);
            } finally {
                if (connected) {
                    connected = false;
                    contact = Contact.ANSWERED;
                    metrics.peerLinkDown();
                }
            }
            if (stopped) {
                break;
            }
            boolean followed = reached;
            boolean closedHere = closedByLeave;
            closedByLeave = false;
            if (followed || reconnectAtOnce || closedHere) {
                failingSinceNanos = 0;
            } else if (failingSinceNanos == 0) {
                failingSinceNanos = System.nanoTime() | 1;
            }
            boolean unreachable = failingSinceNanos != 0 && System.nanoTime() - failingSinceNanos > UNREACHABLE_AFTER_NANOS;
            if (leaving() && (held.isEmpty() || unreachable || leftTooLongAgo()) && endLeaving()) {
                // Nothing held, or the peer that left cannot be reached or did not decide in time.
                held.originGone(System.nanoTime());
                return;
            }
            if (reconnectAtOnce) {
                reconnectAtOnce = false;
                continue;
            }
            boolean heldByPeer = strangerRefusal
                    && System.nanoTime() - attemptStart >= PeerHandler.STRANGER_WAIT.toNanos() / 2;
            if (followed || heldByPeer) {
                // A peer that has not got this relay in its set yet held the request until its set
                // changed or a while passed (PeerHandler): ask again soon, without growing the wait.
                // A refusal that came at once (a peer of an earlier version, or one with too many
                // waiting) grows the backoff as any other.
                backoff = FIRST_BACKOFF_MILLIS;
            } else {
                long cap = contact == Contact.UNREACHABLE ? MAX_UNREACHABLE_BACKOFF_MILLIS : MAX_BACKOFF_MILLIS;
                backoff = Math.min(backoff * 2, cap);
            }
            try {
                backOff(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        held.clear();
        holding = 0;
    }

    /** Runs one connection; {@link #reached} says whether the peer was reached. */
    private void follow() throws IOException, PeerProtocolException {
        try (Socket connection = new Socket()) {
            socket = connection;
            if (stopped) {
                return;
            }
            InputStream in;
            OutputStream out;
            ResponseHead head;
            try {
                connection.connect(new InetSocketAddress(peer.host(), peer.port()), CONNECT_TIMEOUT_MILLIS);
                connection.setSoTimeout((int) settings.readTimeout().toMillis());
                connection.setTcpNoDelay(true);
                out = connection.getOutputStream();
                out.write(request().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in = new BufferedInputStream(connection.getInputStream(), 64 * 1024);
                head = ResponseHead.read(in);
            } catch (IOException e) {
                if (!stopped && !closedByLeave) {
                    contact = Contact.UNREACHABLE;
                }
                throw e;
            }
            contact = Contact.ANSWERED;
            if (head.status() == 405 && !olderPeer) {
                LOG.info("peer {} does not take acknowledgements (an earlier version); following it without", peer);
                olderPeer = true;
                reconnectAtOnce = true;
                return;
            }
            if (head.status() != 200) {
                String refusal = head.status() + " " + new String(in.readNBytes(2048), StandardCharsets.UTF_8).trim();
                strangerRefusal = head.status() == 403 && refusal.contains("\"not_a_peer\"");
                if (head.status() == 503 && refusal.contains("\"shutting_down\"")) {
                    contact = Contact.SHUTTING_DOWN;
                }
                if (!refusal.equals(lastRefusal)) {
                    LOG.info("peer {} refused to be followed: {}", peer, refusal);
                    lastRefusal = refusal;
                }
                return;
            }
            lastRefusal = null;
            // Frames are bounded by what the protocol allows, not by this relay's own limit: an
            // event this relay will not take is skipped below, not a reason to drop the stream.
            PeerFrameReader reader = new PeerFrameReader(head.chunked() ? new ChunkedInputStream(in) : in,
                    PublishLimits.MAX_EVENT_BYTES);
            if (!(reader.next() instanceof PeerFrame.Hello hello)) {
                throw new PeerProtocolException("unexpected", "the stream does not start with HELLO");
            }
            if (hello.origin().equals(hub.origin())) {
                LOG.info("peer address {} is this relay itself; not following it", peer);
                self = true;
                stopped = true;
                return;
            }
            reached = true;
            held.hello(hello.origin(), hello.twoPhase(), System.nanoTime());
            holding = held.size();
            boolean restarted = peerOrigin != null && !hello.origin().equals(peerOrigin);
            peerOrigin = hello.origin();
            if (restarted && olderPeer) {
                // A restarted peer may be a newer version, which acknowledges: ask it with POST.
                olderPeer = false;
                reconnectAtOnce = true;
                return;
            }
            hub.claimOrigin(this, hello.origin(), hello.startedAt(), System.nanoTime());
            if (stopped) {
                // stop() ran meanwhile and may have released before this claim.
                hub.releaseOrigin(this);
                return;
            }
            connected = true;
            contact = Contact.FOLLOWING;
            metrics.peerLinkUp();
            LOG.info("following peer {} (origin {}, at {})", peer, hello.origin(), hello.lastSeq());
            apply(hello.origin(), hello.twoPhase(), reader, out);
        }
    }

    /**
     * Applies frames until the stream ends: events in batches, gaps in their place, pending events
     * held until their COMMIT or ABORT. After each burst of frames, acknowledges what it holds.
     */
    private void apply(String origin, boolean twoPhase, PeerFrameReader reader, OutputStream out)
            throws IOException, PeerProtocolException {
        List<RemoteEvent> batch = new ArrayList<>();
        long acknowledged = 0;
        while (!stopped) {
            // Bounded by frames as well as events: PENDING frames wait for this loop's ACK.
            int frames = 0;
            do {
                frames++;
                PeerFrame frame = reader.next();
                if (held.syncing()) {
                    // A replayed event this relay holds is committed from what it holds, with its key.
                    if (frame instanceof PeerFrame.EventFrame event && held.replayed(event.event().seq())) {
                        applyBatch(origin, batch);
                        continue;
                    }
                    held.commitConfirmed(System.nanoTime());
                }
                if (frame instanceof PeerFrame.EventFrame event && event.event().data().length > settings.maxEventBytes()) {
                    // Larger than this relay takes (the peer is configured with a higher limit):
                    // skip it, and tell the stream's subscribers they missed an event.
                    applyBatch(origin, batch);
                    metrics.peerFrameRejected("event_too_large");
                    hub.applyGaps(origin, Map.of(event.event().stream(), event.event().seq()), 0);
                } else if (frame instanceof PeerFrame.EventFrame event) {
                    batch.add(event.event());
                } else if (frame instanceof PeerFrame.Gap gap) {
                    applyBatch(origin, batch);
                    hub.applyGaps(origin, gap.stream() == null ? Map.of() : Map.of(gap.stream(), gap.upTo()),
                            gap.stream() == null ? gap.upTo() : 0);
                } else if (frame instanceof PeerFrame.Horizon horizon) {
                    applyBatch(origin, batch);
                    hub.raiseHorizon(horizon.horizon(), System.currentTimeMillis() / 1000);
                } else if (frame instanceof PeerFrame.Hello) {
                    throw new PeerProtocolException("unexpected", "a second HELLO");
                } else if (frame instanceof PeerFrame.Stopped stopped) {
                    applyBatch(origin, batch);
                    hub.adoptStopped(stopped.origins(), System.nanoTime());
                } else if (!twoPhase && !(frame instanceof PeerFrame.Heartbeat)) {
                    throw new PeerProtocolException("unexpected", "a two-phase frame after a one-phase HELLO");
                } else {
                    applyTwoPhase(origin, frame, batch);
                }
            } while (frames < MAX_BATCH && batch.size() < MAX_BATCH && reader.ready());
            // Acknowledged before the batch is applied: the origin's publisher waits for the ACK,
            // and what is held is held whatever the delivery of the batch costs.
            holding = held.size();
            long highest = held.highest();
            if (highest > acknowledged) {
                writeAck(out, highest);
                acknowledged = highest;
            }
            applyBatch(origin, batch);
            if (leaving() && (held.isEmpty() || leftTooLongAgo())) {
                return; // the run loop decides what becomes of anything still held
            }
        }
    }

    /** PENDING, KEY, COMMIT, ABORT and CAUGHT_UP; committed events follow the events that came before them. */
    private void applyTwoPhase(String origin, PeerFrame frame, List<RemoteEvent> batch) throws PeerProtocolException {
        try {
            if (frame instanceof PeerFrame.Pending pending) {
                held.hold(pending.event());
            } else if (frame instanceof PeerFrame.Key key) {
                held.tag(key.lastSeq(), key.count(), key.tag(), System.nanoTime());
            } else if (frame instanceof PeerFrame.Commit commit) {
                applyBatch(origin, batch);
                held.commit(commit.upTo(), System.nanoTime());
            } else if (frame instanceof PeerFrame.Abort abort) {
                held.abort(abort.firstSeq(), abort.lastSeq());
            } else if (frame instanceof PeerFrame.CaughtUp) {
                applyBatch(origin, batch);
                held.caughtUp(System.nanoTime());
            }
            holding = held.size();
        } catch (IllegalStateException e) {
            throw new PeerProtocolException("malformed", e.getMessage());
        }
    }

    /** One ACK frame as one chunk of the request body, in one write, under the watchdog. */
    private void writeAck(OutputStream out, long seq) throws IOException {
        ByteBuffer frame = PeerFrames.ack(seq);
        byte[] size = (Integer.toHexString(frame.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[size.length + frame.remaining() + CRLF.length];
        System.arraycopy(size, 0, chunk, 0, size.length);
        frame.get(chunk, size.length, frame.remaining());
        System.arraycopy(CRLF, 0, chunk, chunk.length - CRLF.length, CRLF.length);
        writingSinceNanos = System.nanoTime() | 1;
        try {
            out.write(chunk);
            out.flush();
        } finally {
            writingSinceNanos = 0;
        }
    }

    /** The watchdog: a write the peer has not taken for the read timeout ends the connection. */
    private void checkWrite() {
        long since = writingSinceNanos;
        if (since != 0 && System.nanoTime() - since > settings.readTimeout().toNanos()) {
            LOG.warn("peer {} took no acknowledgement for {} ms; reconnecting", peer, settings.readTimeout().toMillis());
            closeQuietly(socket);
        }
    }

    private void applyBatch(String origin, List<RemoteEvent> batch) {
        if (!batch.isEmpty()) {
            hub.applyRemote(origin, batch, System.nanoTime());
            batch.clear();
        }
    }

    /**
     * Asks for the peer's events after what this relay has of the peer's last known origin. Only
     * that entry matters to the peer, and sending the whole position would make the request
     * grow with every origin this relay has seen. Unknown (first connection) means from the start.
     */
    private String request() {
        String origin = peerOrigin;
        // The first form of ids (origin:decimal), which every version of the peer reads.
        String after = origin == null ? "" : URLEncoder.encode(origin + ":" + hub.appliedSeq(origin),
                StandardCharsets.UTF_8);
        return (olderPeer ? "GET " : "POST ") + PeerHandler.PATH + "?after=" + after + " HTTP/1.1\r\n"
                + "Host: " + peer + "\r\n"
                + "Authorization: Bearer " + settings.token() + "\r\n"
                + PeerHandler.X_RELAY_PEER + ": " + selfAddress + "\r\n"
                + PeerHandler.X_RELAY_PEER_PROTOCOL + ": "
                + (olderPeer ? PeerHandler.HORIZON_PROTOCOL : PeerHandler.ACKNOWLEDGING_PROTOCOL) + "\r\n"
                + "Accept: " + PeerFrames.CONTENT_TYPE + "\r\n"
                // The body carries the acknowledgements for as long as the response streams.
                + (olderPeer ? "" : "Content-Type: " + PeerFrames.CONTENT_TYPE + "\r\nTransfer-Encoding: chunked\r\n")
                // One request per connection: a refusal then ends with the connection instead of
                // leaving us waiting on a kept-alive socket for the read timeout.
                + "Connection: close\r\n"
                + "\r\n";
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    /** The status line and the framing-relevant headers of an HTTP/1.1 response. */
    private record ResponseHead(int status, boolean chunked) {

        static ResponseHead read(InputStream in) throws IOException {
            String statusLine = HttpLines.read(in, MAX_HEAD_BYTES, "the response head");
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x response: " + statusLine);
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad status line: " + statusLine);
            }
            boolean chunked = false;
            int total = statusLine.length();
            String header;
            while (!(header = HttpLines.read(in, MAX_HEAD_BYTES, "the response head")).isEmpty()) {
                total += header.length();
                if (total > MAX_HEAD_BYTES) {
                    throw new IOException("response head larger than " + MAX_HEAD_BYTES + " bytes");
                }
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = header.substring(colon + 1).toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            return new ResponseHead(status, chunked);
        }
    }
}
