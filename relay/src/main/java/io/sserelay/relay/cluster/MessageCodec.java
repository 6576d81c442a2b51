package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.Message.Ack;
import io.sserelay.relay.cluster.Message.Append;
import io.sserelay.relay.cluster.Message.Deliver;
import io.sserelay.relay.cluster.Message.Entries;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Forward;
import io.sserelay.relay.cluster.Message.Handover;
import io.sserelay.relay.cluster.Message.HandoverAck;
import io.sserelay.relay.cluster.Message.Interest;
import io.sserelay.relay.cluster.Message.NoInterest;
import io.sserelay.relay.cluster.Message.Committed;
import io.sserelay.relay.cluster.Message.MayRelease;
import io.sserelay.relay.cluster.Message.NeedSync;
import io.sserelay.relay.cluster.Message.Published;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.cluster.Message.Refused;
import io.sserelay.relay.cluster.Message.Release;
import io.sserelay.relay.cluster.Message.Sync;
import io.sserelay.relay.cluster.Message.ViewIs;
import io.sserelay.relay.cluster.Message.ViewPull;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire form of an {@link Envelope}: one frame, {@code length:u32} and then the kind, the
 * sender, its incarnation and generation, and the message's fields, big-endian, strings as
 * {@code u16} length and UTF-8. What an event carries is the {@link PayloadCodec}'s.
 *
 * <p>A message larger than one frame (a stream's whole copy in a sync or a handover) travels as
 * several: {@link #FRAGMENT} frames carrying its bytes in order, and a {@link #LAST_FRAGMENT}
 * with the rest, reassembled by the {@link FrameDecoder} up to {@code maxMessageBytes}.
 *
 * <p>A frame is refused from its length before it is read when it is over {@code maxFrameBytes},
 * and decoding checks every count against the bytes left, so a peer's malformed frame costs at
 * most its own size and ends in a {@link MalformedFrameException}, never in a bigger allocation.
 * Stateless and thread-safe.
 */
public final class MessageCodec<P> {

    /** Encodes and decodes what an event carries. */
    public interface PayloadCodec<P> {
        void write(P payload, Writer out);

        P read(Reader in);
    }

    public static final class MalformedFrameException extends RuntimeException {
        public MalformedFrameException(String message) {
            super(message);
        }
    }

    private static final int FORWARD = 1;
    private static final int PUBLISHED = 2;
    private static final int REFUSED = 3;
    private static final int APPEND = 4;
    private static final int ACK = 5;
    private static final int NEED_SYNC = 6;
    private static final int SYNC = 7;
    private static final int HANDOVER = 8;
    private static final int HANDOVER_ACK = 9;
    private static final int INTEREST = 10;
    private static final int ENTRIES = 11;
    private static final int DELIVER = 12;
    private static final int VIEW_PULL = 13;
    private static final int VIEW_IS = 14;
    private static final int RELEASE = 15;
    private static final int MAY_RELEASE = 16;
    private static final int NO_INTEREST = 17;
    private static final int COMMITTED = 18;
    /** A frame that carries part of a larger message; more follow. */
    static final int FRAGMENT = 0xFF;
    /** The frame that carries the rest of a larger message. */
    static final int LAST_FRAGMENT = 0xFE;

    private final PayloadCodec<P> payloads;
    private final int maxEntries;
    private final int maxFrameBytes;
    private final int maxMessageBytes;

    /**
     * @param maxEntries      the retention of the stream copies this relay decodes (its own setting)
     * @param maxFrameBytes   the largest frame this relay reads or writes
     * @param maxMessageBytes the largest message, in as many frames as it takes
     */
    public MessageCodec(PayloadCodec<P> payloads, int maxEntries, int maxFrameBytes, int maxMessageBytes) {
        if (maxFrameBytes < 64 || maxMessageBytes < maxFrameBytes) {
            throw new IllegalArgumentException("frames of " + maxFrameBytes + " bytes, messages of " + maxMessageBytes);
        }
        this.payloads = payloads;
        this.maxEntries = maxEntries;
        this.maxFrameBytes = maxFrameBytes;
        this.maxMessageBytes = maxMessageBytes;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /**
     * The message's frames, each with its length first, in one buffer: one frame, or fragments
     * when it is larger; throws {@link MalformedFrameException} for one over the message limit.
     */
    public ByteBuffer encode(Envelope envelope) {
        Writer out = SCRATCH.get().reset();
        try {
            Message body = envelope.body();
            out.u8(kind(body));
            out.string(envelope.from());
            out.i64(envelope.incarnation());
            out.i64(envelope.generation());
            writeBody(body, out);
            return frames(out.finish());
        } finally {
            out.release();
        }
    }

    /** {@code content} with its length first: one frame, or fragments when it is larger. */
    private ByteBuffer frames(ByteBuffer content) {
        int length = content.remaining();
        if (length > maxMessageBytes) {
            throw new MalformedFrameException("a message of " + length + " bytes is over the limit of "
                    + maxMessageBytes);
        }
        if (length <= maxFrameBytes - 4) {
            return ByteBuffer.allocate(4 + length).putInt(length).put(content).flip();
        }
        int piece = maxFrameBytes - 5;
        int frames = (length + piece - 1) / piece;
        ByteBuffer all = ByteBuffer.allocate(length + frames * 5);
        for (int frame = 0; frame < frames; frame++) {
            int size = Math.min(piece, content.remaining());
            all.putInt(1 + size).put((byte) (frame == frames - 1 ? LAST_FRAGMENT : FRAGMENT));
            all.put(content.slice(content.position(), size));
            content.position(content.position() + size);
        }
        return all.flip();
    }

    /**
     * Each thread's writer, whose buffer the next message reuses: a message costs the allocation
     * of its frame, not of a buffer grown to its size and then copied.
     */
    private static final ThreadLocal<Writer> SCRATCH = ThreadLocal.withInitial(Writer::new);

    /**
     * The length a frame's first four bytes announce, checked against the limit before anything
     * is read or allocated for it.
     */
    public int frameLength(int announced) {
        if (announced < 1 || announced > maxFrameBytes - 4) {
            throw new MalformedFrameException("a frame announces " + Integer.toUnsignedString(announced)
                    + " bytes; the limit is " + (maxFrameBytes - 4));
        }
        return announced;
    }

    /** Decodes one frame's content (what follows its length); all of it must be used. */
    public Envelope decode(ByteBuffer content) {
        try {
            Reader in = new Reader(content);
            int kind = in.u8();
            String from = in.string();
            long incarnation = in.i64();
            long generation = in.i64();
            Message body = readBody(kind, in);
            if (content.hasRemaining()) {
                throw new MalformedFrameException(content.remaining() + " bytes follow the message");
            }
            return new Envelope(from, incarnation, generation, body);
        } catch (BufferUnderflowException e) {
            throw new MalformedFrameException("the frame ends inside its message");
        } catch (IllegalArgumentException e) {
            throw new MalformedFrameException(e.getMessage());
        }
    }

    private static int kind(Message body) {
        if (body instanceof Forward<?>) {
            return FORWARD;
        } else if (body instanceof Published) {
            return PUBLISHED;
        } else if (body instanceof Refused) {
            return REFUSED;
        } else if (body instanceof Append<?>) {
            return APPEND;
        } else if (body instanceof Ack) {
            return ACK;
        } else if (body instanceof NeedSync) {
            return NEED_SYNC;
        } else if (body instanceof Sync<?>) {
            return SYNC;
        } else if (body instanceof Handover<?>) {
            return HANDOVER;
        } else if (body instanceof HandoverAck) {
            return HANDOVER_ACK;
        } else if (body instanceof Interest) {
            return INTEREST;
        } else if (body instanceof NoInterest) {
            return NO_INTEREST;
        } else if (body instanceof Entries<?>) {
            return ENTRIES;
        } else if (body instanceof Deliver<?>) {
            return DELIVER;
        } else if (body instanceof ViewPull) {
            return VIEW_PULL;
        } else if (body instanceof ViewIs) {
            return VIEW_IS;
        } else if (body instanceof Release) {
            return RELEASE;
        } else if (body instanceof MayRelease) {
            return MAY_RELEASE;
        } else if (body instanceof Committed) {
            return COMMITTED;
        }
        throw new IllegalArgumentException("no wire form for " + body.getClass().getSimpleName());
    }

    @SuppressWarnings("unchecked")
    private void writeBody(Message body, Writer out) {
        if (body instanceof Forward<?> message) {
            Forward<P> forward = (Forward<P>) message;
            out.i64(forward.requestId());
            out.string(forward.stream());
            out.u32(forward.payloads().size());
            for (P payload : forward.payloads()) {
                payloads.write(payload, out);
            }
            out.optionalString(forward.key());
            out.optionalString(forward.digest());
            out.i64(forward.budgetMillis());
        } else if (body instanceof Published published) {
            out.i64(published.requestId());
            writeIds(published.ids(), out);
            out.u8(published.replayed() ? 1 : 0);
        } else if (body instanceof Refused refused) {
            out.i64(refused.requestId());
            out.u8(refused.retry() ? 1 : 0);
            out.u8(refused.code().ordinal());
            out.string(refused.reason());
        } else if (body instanceof Append<?> message) {
            Append<P> append = (Append<P>) message;
            out.string(append.stream());
            out.u32(append.entries().size());
            for (Entry<P> entry : append.entries()) {
                writeEntry(entry, out);
            }
            writeId(append.prev(), out);
            writeId(append.committedThrough(), out);
            writeKey(append.key(), out);
        } else if (body instanceof Ack ack) {
            out.string(ack.stream());
            writeId(ack.through(), out);
        } else if (body instanceof NeedSync needSync) {
            out.string(needSync.stream());
        } else if (body instanceof Sync<?> message) {
            Sync<P> sync = (Sync<P>) message;
            out.string(sync.stream());
            writeLog(sync.log(), out);
            out.i64(sync.numberedThrough());
        } else if (body instanceof Handover<?> message) {
            Handover<P> handover = (Handover<P>) message;
            out.i64(handover.targetIncarnation());
            out.u32(handover.copies().size());
            for (Map.Entry<String, StreamLog<P>> copy : handover.copies().entrySet()) {
                out.string(copy.getKey());
                writeLog(copy.getValue(), out);
            }
        } else if (body instanceof HandoverAck ack) {
            out.i64(ack.senderIncarnation());
        } else if (body instanceof Interest interest) {
            out.string(interest.stream());
            writeId(interest.after(), out);
            out.i64(interest.ask());
        } else if (body instanceof NoInterest noInterest) {
            out.string(noInterest.stream());
        } else if (body instanceof Entries<?> message) {
            Entries<P> entries = (Entries<P>) message;
            out.string(entries.stream());
            out.i64(entries.ask());
            writeId(entries.after(), out);
            out.u8(entries.replace() ? 1 : 0);
            out.i64(entries.epoch());
            writeId(entries.trimmedThrough(), out);
            out.u32(entries.entries().size());
            for (Entry<P> entry : entries.entries()) {
                writeEntry(entry, out);
            }
            out.u32(entries.keys().size());
            for (KeyRecord key : entries.keys()) {
                writeKey(key, out);
            }
        } else if (body instanceof Deliver<?> message) {
            Deliver<P> deliver = (Deliver<P>) message;
            out.string(deliver.stream());
            out.u32(deliver.entries().size());
            for (Entry<P> entry : deliver.entries()) {
                writeEntry(entry, out);
            }
            writeId(deliver.prev(), out);
            out.i64(deliver.epoch());
            writeKey(deliver.key(), out);
        } else if (body instanceof Release release) {
            out.string(release.stream());
        } else if (body instanceof MayRelease ask) {
            out.string(ask.stream());
        } else if (body instanceof Committed committed) {
            out.string(committed.stream());
            writeId(committed.through(), out);
        } else if (body instanceof ViewIs viewIs) {
            View view = viewIs.view();
            out.i64(view.generation());
            writeStrings(view.members(), out);
            writeStrings(view.leaving(), out);
        }
    }

    private Message readBody(int kind, Reader in) {
        switch (kind) {
            case FORWARD: {
                long requestId = in.i64();
                String stream = in.string();
                int count = in.count(1);
                List<P> events = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    events.add(payloads.read(in));
                }
                return new Forward<>(requestId, stream, events, in.optionalString(), in.optionalString(), in.i64());
            }
            case PUBLISHED:
                return new Published(in.i64(), readIds(in), in.bool());
            case REFUSED: {
                long requestId = in.i64();
                boolean retry = in.bool();
                int code = in.u8();
                if (code >= Refusal.values().length) {
                    throw new MalformedFrameException("unknown refusal " + code);
                }
                return new Refused(requestId, retry, Refusal.values()[code], in.string());
            }
            case APPEND: {
                String stream = in.string();
                int count = in.count(16);
                if (count == 0) {
                    throw new MalformedFrameException("an append without entries");
                }
                List<Entry<P>> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    entries.add(readEntry(in));
                }
                return new Append<>(stream, entries, readId(in), readId(in), readKey(in));
            }
            case ACK:
                return new Ack(in.string(), readId(in));
            case NEED_SYNC:
                return new NeedSync(in.string());
            case SYNC:
                return new Sync<>(in.string(), readLog(in), in.i64());
            case HANDOVER: {
                long target = in.i64();
                int count = in.count(3);
                Map<String, StreamLog<P>> copies = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    copies.put(in.string(), readLog(in));
                }
                return new Handover<>(target, copies);
            }
            case HANDOVER_ACK:
                return new HandoverAck(in.i64());
            case INTEREST:
                return new Interest(in.string(), readId(in), in.i64());
            case NO_INTEREST:
                return new NoInterest(in.string());
            case ENTRIES: {
                String stream = in.string();
                long ask = in.i64();
                EventId after = readId(in);
                boolean replace = in.bool();
                long epoch = in.i64();
                EventId trimmedThrough = readId(in);
                int count = in.count(17);
                List<Entry<P>> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    entries.add(readEntry(in));
                }
                int keyCount = in.count(1);
                List<KeyRecord> keys = new ArrayList<>(keyCount);
                for (int i = 0; i < keyCount; i++) {
                    KeyRecord key = readKey(in);
                    if (key == null) {
                        throw new MalformedFrameException("an answer's key is missing");
                    }
                    keys.add(key);
                }
                return new Entries<>(stream, ask, after, replace, epoch, trimmedThrough, entries, keys);
            }
            case DELIVER: {
                String stream = in.string();
                int count = in.count(16);
                if (count == 0) {
                    throw new MalformedFrameException("a delivery without entries");
                }
                List<Entry<P>> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    entries.add(readEntry(in));
                }
                return new Deliver<>(stream, entries, readId(in), in.i64(), readKey(in));
            }
            case RELEASE:
                return new Release(in.string());
            case MAY_RELEASE:
                return new MayRelease(in.string());
            case COMMITTED:
                return new Committed(in.string(), requiredId(in));
            case VIEW_PULL:
                return new ViewPull();
            case VIEW_IS:
                return new ViewIs(new View(in.i64(), readStrings(in), readStrings(in)));
            default:
                throw new MalformedFrameException("unknown message kind " + kind);
        }
    }

    private static void writeIds(List<EventId> ids, Writer out) {
        out.u32(ids.size());
        for (EventId id : ids) {
            out.i64(id.epoch());
            out.i64(id.offset());
        }
    }

    private static List<EventId> readIds(Reader in) {
        int count = in.count(16);
        List<EventId> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(new EventId(in.i64(), in.i64()));
        }
        return ids;
    }

    private static void writeKey(KeyRecord key, Writer out) {
        out.u8(key == null ? 0 : 1);
        if (key != null) {
            out.string(key.key());
            out.string(key.digest());
            writeIds(key.ids(), out);
        }
    }

    private static KeyRecord readKey(Reader in) {
        return in.bool() ? new KeyRecord(in.string(), in.string(), readIds(in)) : null;
    }

    private static void writeId(EventId id, Writer out) {
        if (id == null) {
            out.u8(0);
        } else {
            out.u8(1);
            out.i64(id.epoch());
            out.i64(id.offset());
        }
    }

    private static EventId readId(Reader in) {
        return in.bool() ? new EventId(in.i64(), in.i64()) : null;
    }

    private static EventId requiredId(Reader in) {
        EventId id = readId(in);
        if (id == null) {
            throw new MalformedFrameException("an event id is missing");
        }
        return id;
    }

    private void writeEntry(Entry<P> entry, Writer out) {
        out.i64(entry.id().epoch());
        out.i64(entry.id().offset());
        payloads.write(entry.payload(), out);
    }

    private Entry<P> readEntry(Reader in) {
        return new Entry<>(new EventId(in.i64(), in.i64()), payloads.read(in));
    }

    private void writeLog(StreamLog<P> log, Writer out) {
        out.i64(log.epoch());
        writeId(log.trimmedThrough(), out);
        out.u32(log.committedCount());
        out.u32(log.size());
        for (Entry<P> entry : log.entries()) {
            writeEntry(entry, out);
        }
        out.u32(log.keys().size());
        for (KeyRecord key : log.keys()) {
            writeKey(key, out);
        }
    }

    private StreamLog<P> readLog(Reader in) {
        long epoch = in.i64();
        EventId trimmedThrough = readId(in);
        int committed = in.u32();
        int count = in.count(16);
        if (committed > count) {
            throw new MalformedFrameException("a copy says " + committed + " of its " + count + " entries are committed");
        }
        List<Entry<P>> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(readEntry(in));
        }
        StreamLog<P> log = StreamLog.committed(maxEntries, epoch, trimmedThrough,
                entries.subList(0, committed));
        for (Entry<P> entry : entries.subList(committed, count)) {
            log.append(entry);
        }
        int keys = in.count(1);
        for (int i = 0; i < keys; i++) {
            KeyRecord key = readKey(in);
            if (key == null) {
                throw new MalformedFrameException("a copy's key is missing");
            }
            if (log.indexOf(key.last()) >= 0) { // a key whose events this relay's retention dropped goes too
                log.putKey(key);
            }
        }
        return log;
    }

    private static void writeStrings(List<String> strings, Writer out) {
        out.u32(strings.size());
        for (String string : strings) {
            out.string(string);
        }
    }

    private static List<String> readStrings(Reader in) {
        int count = in.count(2);
        List<String> strings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            strings.add(in.string());
        }
        return strings;
    }

    /** Appends to a growing buffer. */
    public static final class Writer {
        /** What a reused writer keeps between messages; a larger buffer goes after its message. */
        private static final int KEPT_BYTES = 64 * 1024;
        private ByteBuffer buffer = ByteBuffer.allocate(256);

        Writer reset() {
            buffer.clear();
            return this;
        }

        /** After the message's bytes were copied out: a buffer grown for a large one is not kept. */
        void release() {
            if (buffer.capacity() > KEPT_BYTES) {
                buffer = ByteBuffer.allocate(256);
            }
        }

        private void room(int bytes) {
            if (buffer.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes));
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
        }

        public void u8(int value) {
            room(1);
            buffer.put((byte) value);
        }

        public void u32(int value) {
            room(4);
            buffer.putInt(value);
        }

        public void i64(long value) {
            room(8);
            buffer.putLong(value);
        }

        public void bytes(byte[] value) {
            u32(value.length);
            room(value.length);
            buffer.put(value);
        }

        public void string(String value) {
            int length = value.length();
            if (length <= 0xffff) {
                // Most strings (names of relays and streams) are ASCII: written without an encoded copy.
                room(2 + length);
                int start = buffer.position();
                buffer.putShort((short) length);
                int i = 0;
                while (i < length && value.charAt(i) < 0x80) {
                    buffer.put((byte) value.charAt(i++));
                }
                if (i == length) {
                    return;
                }
                buffer.position(start);
            }
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            if (utf8.length > 0xffff) {
                throw new IllegalArgumentException("a string of " + utf8.length + " bytes has no wire form");
            }
            room(2 + utf8.length);
            buffer.putShort((short) utf8.length);
            buffer.put(utf8);
        }

        /** A string that may be null. */
        public void optionalString(String value) {
            u8(value == null ? 0 : 1);
            if (value != null) {
                string(value);
            }
        }

        ByteBuffer finish() {
            buffer.flip();
            return buffer;
        }
    }

    /** Reads a frame's content; every count is checked against the bytes left before it is used. */
    public static final class Reader {
        private final ByteBuffer buffer;

        Reader(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        public int u8() {
            return buffer.get() & 0xff;
        }

        public boolean bool() {
            int value = u8();
            if (value > 1) {
                throw new MalformedFrameException("a flag is " + value);
            }
            return value == 1;
        }

        public int u32() {
            int value = buffer.getInt();
            if (value < 0) {
                throw new MalformedFrameException("a count of " + Integer.toUnsignedString(value));
            }
            return value;
        }

        public long i64() {
            return buffer.getLong();
        }

        /** A count of items of at least {@code minBytes} each, which the bytes left must be able to hold. */
        int count(int minBytes) {
            int count = u32();
            if ((long) count * minBytes > buffer.remaining()) {
                throw new MalformedFrameException("a count of " + count + " is more than the frame holds");
            }
            return count;
        }

        public byte[] bytes() {
            int length = count(1);
            byte[] value = new byte[length];
            buffer.get(value);
            return value;
        }

        public String string() {
            int length = buffer.getShort() & 0xffff;
            if (length > buffer.remaining()) {
                throw new MalformedFrameException("a string of " + length + " bytes is more than the frame holds");
            }
            int start = buffer.position();
            buffer.position(start + length);
            if (buffer.hasArray()) {
                byte[] array = buffer.array();
                int from = buffer.arrayOffset() + start;
                int i = 0;
                while (i < length && array[from + i] >= 0) {
                    i++;
                }
                if (i == length) {
                    return new String(array, from, length, StandardCharsets.ISO_8859_1); // ASCII: the same text
                }
            }
            ByteBuffer utf8 = buffer.slice(start, length);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(utf8).toString();
            } catch (CharacterCodingException e) {
                throw new MalformedFrameException("a string is not UTF-8");
            }
        }

        public String optionalString() {
            return bool() ? string() : null;
        }
    }
}
