package io.sserelay.relay.stream;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One subscriber's place in the log, and what it is sent because of it: from its
 * {@link CatchUp}, the {@code reset} and replayed events that bring it to the present and the
 * id it continues from; then which live events it gets, and with which id.
 *
 * <p>A subscriber that resumes here from a relay that was further along on some origin has a
 * <em>floor</em>: events it has already seen are skipped when they arrive, and its ids keep
 * the higher entries, so a later resume anywhere still starts from where it really is. The
 * floor lasts until this relay catches up, or until the history's maximum age has passed and
 * no relay can still hold those events. Only such a subscriber's events carry ids of their own
 * ({@link Delivery#event(Event, Position)}); everyone else shares each event's encoded form.
 *
 * <p>Called under the hub's lock, like the subscriber that owns it.
 */
public final class Cursor {

    /** Where a cursor's decisions go: the subscriber's wire format. */
    public interface Delivery {

        /**
         * Tell the subscriber it cannot get everything after its position on {@code streams};
         * {@code continueFrom} is the id it continues from, or null when its id stays right.
         */
        void reset(List<String> streams, ResetReason reason, String message, Position continueFrom);

        /** Send {@code event} as it is, with its own id. */
        void event(Event event);

        /** Send {@code event} with the id {@code id} instead of its own. */
        void event(Event event, Position id);

        /** Move the subscriber's last event id to {@code id} without an event. */
        void position(Position id);
    }

    private final List<String> streams;
    private final long floorLifetimeNanos;
    private final LongSupplier nanoClock;
    private Position floor;
    private long floorDeadlineNanos;

    /**
     * @param streams       the subscribed streams, named by resets that concern them all
     * @param floorLifetime how long a floor may wait for this relay to learn an origin: the
     *                      history's maximum age, after which no relay can still replay it
     * @param nanoClock     {@link System#nanoTime()}, or a test's clock
     */
    public Cursor(List<String> streams, Duration floorLifetime, LongSupplier nanoClock) {
        this.streams = List.copyOf(streams);
        this.floorLifetimeNanos = floorLifetime.toNanos();
        this.nanoClock = nanoClock;
    }

    /** What the subscriber is sent first: a refusal or a reset, what it missed, and where it stands. */
    public void start(CatchUp catchUp, Delivery out) {
        CatchUp.Refusal refused = catchUp.refused();
        if (refused != null) {
            out.reset(streams, refused.reason(), refused.message() + "; continuing from the current position",
                    catchUp.position());
            return;
        }
        Position from = catchUp.from();
        if (from != null) {
            floor = from.aheadOf(catchUp.position());
            floorDeadlineNanos = nanoClock.getAsLong() + floorLifetimeNanos;
        }
        Position announced = from;
        if (!catchUp.resetStreams().isEmpty()) {
            // When the relay reads the position differently from what the client sent, the reset
            // moves the client there, or its every reconnect would be reset again.
            Position resetId = from.equals(catchUp.requested()) ? null : from;
            out.reset(catchUp.resetStreams(), ResetReason.HISTORY, ResetReason.HISTORY_MESSAGE, resetId);
            if (resetId != null) {
                announced = resetId;
            }
        }
        Position last = null;
        for (Event event : catchUp.replay()) {
            if (floor == null) {
                out.event(event);
                last = event.position();
            } else if (!floor.covers(event.origin(), event.seq())) {
                last = floor.merge(event.position());
                out.event(event, last);
            }
        }
        Position current = floor == null ? catchUp.position() : floor.merge(catchUp.position());
        if (!current.equals(last) && !current.equals(announced)) {
            out.position(current);
        }
    }

    /** A live event of a subscribed stream. */
    public void offer(Event event, Delivery out) {
        if (floor != null) {
            if (floor.covers(event.origin(), event.seq())) {
                return; // seen on the relay this subscriber came from
            }
            boolean caughtUp = event.position().dominates(floor);
            if (caughtUp || nanoClock.getAsLong() - floorDeadlineNanos > 0) {
                if (!caughtUp && namesOriginUnknownIn(event.position())) {
                    // The floor waited the history's whole age for a relay this one never learned
                    // of: whatever that relay published after what the subscriber saw is gone.
                    out.reset(streams, ResetReason.FLOOR_EXPIRED, ResetReason.HISTORY_MESSAGE, null);
                }
                floor = null;
            } else {
                out.event(event, floor.merge(event.position()));
                return;
            }
        }
        out.event(event);
    }

    /**
     * This relay learned that {@code origin}, a relay this subscriber waits for with a floor,
     * stopped before its events up to {@code lastSeq} could reach it: those the subscriber had
     * not seen will not come, and it is told. Returns whether it was.
     */
    public boolean originLearned(String origin, long lastSeq, Delivery out) {
        long seen = floor == null ? 0 : floor.seqOf(origin);
        if (seen == 0 || seen >= lastSeq) {
            return false;
        }
        out.reset(streams, ResetReason.HISTORY, ResetReason.HISTORY_MESSAGE, null);
        return true;
    }

    /** The entries of this subscriber's position ahead of the relay's, or null when it has none. */
    public Position floor() {
        return floor;
    }

    /** Whether the floor names an origin that {@code here}, this relay's position, does not name at all. */
    private boolean namesOriginUnknownIn(Position here) {
        for (int i = 0; i < floor.size(); i++) {
            if (!names(here, floor.origin(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean names(Position position, String origin) {
        for (int i = 0; i < position.size(); i++) {
            if (position.origin(i).equals(origin)) {
                return true;
            }
        }
        return false;
    }
}
