package io.sserelay.relay.cluster;

import java.util.List;
import java.util.Map;

/**
 * What relays say to each other about streams (see docs/stream-ownership.md).
 * Every message travels in an {@link Envelope} that names its sender's incarnation and view
 * generation, so that stale senders are fenced and newer views spread.
 */
public sealed interface Message {

    /** A publish handed to the stream's owner; {@code budgetMillis} is how long the sender still waits. */
    record Forward<P>(long requestId, String stream, P payload, long budgetMillis) implements Message {
    }

    /** The owner committed a forwarded publish. */
    record Published(long requestId, EventId id) implements Message {
    }

    /** The owner did not commit it; {@code retry}: it did not number it either, so sending it again is safe. */
    record Refused(long requestId, boolean retry, String reason) implements Message {
    }

    /** Owner to replica: hold {@code entry}, which follows {@code prev} in the owner's copy. */
    record Append<P>(String stream, Entry<P> entry, EventId prev, EventId committedThrough) implements Message {
    }

    /** Replica to owner: it holds the owner's copy up to {@code through}. */
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

    /** The owner's answer; {@code replace}: {@code after} is not in its copy, these are all it retains. */
    record Entries<P>(String stream, long ask, EventId after, boolean replace, long epoch,
            EventId trimmedThrough, List<Entry<P>> entries) implements Message {
    }

    /** A committed entry, to a relay interested in its stream; it follows {@code prev}. */
    record Deliver<P>(String stream, Entry<P> entry, EventId prev, long epoch) implements Message {
    }

    record ViewPull() implements Message {
    }

    record ViewIs(View view) implements Message {
    }

    /** A message and what the receiver needs to know about its sender. */
    record Envelope(String from, long incarnation, long generation, Message body) {
    }
}
