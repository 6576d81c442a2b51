package io.sserelay.relay.cluster;

/** One event of a stream, as the cluster protocol carries it: its id and what was published. */
public record Entry<P>(EventId id, P payload) {
}
