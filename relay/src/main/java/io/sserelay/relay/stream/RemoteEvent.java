package io.sserelay.relay.stream;

/** An event as a peer relay sent it: its origin's numbering, without this relay's position. */
public record RemoteEvent(long seq, String stream, String type, byte[] data) {
}
