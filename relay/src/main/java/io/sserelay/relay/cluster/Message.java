package io.sserelay.relay.cluster;

import java.util.List;
import java.util.Map;

/**
 * What relays say to each other about streams (see docs/stream-ownership.md).
 * Every message travels in an {@link Envelope} that names its sender's incarnation and view
 * generation, so that stale senders are fenced and newer views spread.
 */
public sealed interface Message {

    /**
     * A publish handed to the stream's owner: events numbered together or not at all, with an
     * {@code Idempotency-Key} and its request's digest or nulls; {@code budgetMillis} is how long
     * the sender still waits.
     */
    record Forward<P>(long requestId, String stream, List<P> payloads, String key, String digest, long budgetMillis)
            implements Message {
    }

    /** The owner committed a forwarded publish; {@code replayed}: an earlier publish with its key did. */
    record Published(long requestId, List<EventId> ids, boolean replayed) implements Message {
    }

    /**
     * The owner did not commit it, for {@code code}'s reason; {@code retry}: it did not number it
     * either, so sending it again at once is safe.
     */
    record Refused(long requestId, boolean retry, Refusal code, String reason) implements Message {
    }

    /** Why a publish was not committed. */
    enum Refusal {
        /** The receiver does not own the stream in its view: ask the owner of a newer one. */
        NOT_OWNER,
        /** No replica confirmed holding the events in time; they are delivered nowhere. */
        UNCONFIRMED,
        /** Nobody answered in time (the owner may be down, or taking the stream over). */
        TIMEOUT,
        /** The key's first publish is still waiting for its replica. */
        KEY_IN_USE,
        /** The key came with another request. */
        KEY_REUSED,
        /** This relay is shutting down. */
        CLOSING
    }

    /**
     * Owner to replica: hold {@code entries}, one publish's events, which follow {@code prev} in
     * the owner's copy, and {@code key} with them when the publish has one.
     */
    record Append<P>(String stream, List<Entry<P>> entries, EventId prev, EventId committedThrough, KeyRecord key)
            implements Message {
    }

    /** Replica to owner: it holds the owner's copy up to {@code through} (null: the owner's empty copy, whole). */
    record Ack(String stream, EventId through) implements Message {
    }

    /** Replica to owner: its copy does not hold what an append follows. */
    record NeedSync(String stream) implements Message {
    }

    /**
     * Owner to replica: the whole copy, pending entries included, when the owner had numbered
     * offsets up to {@code numberedThrough}, so that a sync overtaken by later appends is told apart.
     */
    record Sync<P>(String stream, StreamLog<P> log, long numberedThrough) implements Message {
    }

    /**
     * To the owner in the sender's view: every copy the sender holds of streams the target owns
     * there. Sent to every member, even empty: the owner numbers a stream it takes over only
     * once it has heard from each of them.
     */
    record Handover<P>(long targetIncarnation, Map<String, StreamLog<P>> copies) implements Message {
    }

    record HandoverAck(long senderIncarnation) implements Message {
    }

    /** A relay with subscribers of {@code stream} asks its owner for what follows {@code after} (null: all retained). */
    record Interest(String stream, EventId after, long ask) implements Message {
    }

    /**
     * A relay has no subscriber of {@code stream} any more: its owner stops sending it the stream's
     * events now, instead of when the interest would have expired.
     */
    record NoInterest(String stream) implements Message {
    }

    /**
     * The owner's answer; {@code replace}: {@code after} is not in its copy, these are all it
     * retains. With the keys of the publishes among {@code entries}.
     */
    record Entries<P>(String stream, long ask, EventId after, boolean replace, long epoch,
            EventId trimmedThrough, List<Entry<P>> entries, List<KeyRecord> keys) implements Message {
    }

    /**
     * One publish's committed entries, to a relay interested in its stream, whole, so that no
     * copy holds part of a publish; they follow {@code prev}. With the publish's key, if it had one.
     */
    record Deliver<P>(String stream, List<Entry<P>> entries, EventId prev, long epoch, KeyRecord key)
            implements Message {
    }

    /**
     * Owner to replica, once nothing of the stream is pending: everything up to {@code through}
     * is committed, so the replica's copy may age out and be forgotten like the owner's. Resent
     * until the replica answers with the same message: its copy is committed through it too.
     */
    record Committed(String stream, EventId through) implements Message {
    }

    /**
     * Owner to the other relays of its view: its replica holds the whole stream now, so copies
     * kept from earlier roles may go.
     */
    record Release(String stream) implements Message {
    }

    /**
     * To the owner, from a relay that still keeps a copy from an earlier role: may it go? The
     * owner answers {@link Release} once its replica holds the whole stream; a lost release is
     * so asked for again.
     */
    record MayRelease(String stream) implements Message {
    }

    record ViewPull() implements Message {
    }

    record ViewIs(View view) implements Message {
    }

    /** A message and what the receiver needs to know about its sender. */
    record Envelope(String from, long incarnation, long generation, Message body) {
    }
}
