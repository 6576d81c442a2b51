package io.sserelay.relay.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Where a stream lives: its owner numbers its events, its replica holds a copy of each before
 * the owner acknowledges it. Chosen by rendezvous hashing of the stream name over a view's
 * members: the member with the highest score owns the stream, the runner-up replicates it.
 * Every relay computes the same answer from the same view without talking to anyone; a member
 * that joins or leaves moves only the streams it wins or held (about 1/n of them), and when an
 * owner leaves, its replica, the runner-up, becomes the owner.
 */
public final class Placement {

    /**
     * The members' hashes of the view placed last: every relay places streams against one view
     * at a time, many times per event, and a member's hash depends on its name alone.
     */
    private static volatile MemberHashes lastMembers = new MemberHashes(List.of(), new long[0]);

    private record MemberHashes(List<String> members, long[] hashes) {
    }

    private Placement() {
    }

    /** The owner of {@code stream} in {@code view}, or null for a view without members. */
    public static String owner(View view, String stream) {
        return ranked(view.members(), stream, 0);
    }

    /** The replica of {@code stream} in {@code view}, or null when the view has one member or none. */
    public static String replica(View view, String stream) {
        return ranked(view.members(), stream, 1);
    }

    private static String ranked(List<String> members, String stream, int rank) {
        long[] memberHashes = hashesOf(members);
        long streamHash = hash(stream);
        String first = null;
        String second = null;
        long firstScore = 0;
        long secondScore = 0;
        for (int i = 0; i < memberHashes.length; i++) {
            String member = members.get(i);
            long score = mix(streamHash ^ memberHashes[i]);
            if (first == null || Long.compareUnsigned(score, firstScore) > 0) {
                second = first;
                secondScore = firstScore;
                first = member;
                firstScore = score;
            } else if (second == null || Long.compareUnsigned(score, secondScore) > 0) {
                second = member;
                secondScore = score;
            }
        }
        return rank == 0 ? first : second;
    }

    private static long[] hashesOf(List<String> members) {
        MemberHashes last = lastMembers;
        if (last.members() == members) { // a view's list, immutable: the same list has the same hashes
            return last.hashes();
        }
        long[] hashes = new long[members.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = hash(members.get(i));
        }
        lastMembers = new MemberHashes(members, hashes);
        return hashes;
    }

    /**
     * FNV-1a over the UTF-8 bytes: stable across JVMs, unlike {@link String#hashCode()} mixing.
     * Every relay places every stream it is asked about, so an ASCII name, whose chars are its
     * bytes, is hashed without encoding it first.
     */
    static long hash(String text) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return hashUtf8(text);
            }
            hash ^= c;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static long hashUtf8(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    /** SplitMix64's finaliser, so that scores of similar names are unrelated. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
