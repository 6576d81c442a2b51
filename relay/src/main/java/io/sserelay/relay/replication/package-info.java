/**
 * Replicated publishes: the origin's side ({@link io.sserelay.relay.replication.ReplicationGate}:
 * a publish is answered once a peer holds its events, or 503 and dropped everywhere), the
 * follower's side ({@link io.sserelay.relay.replication.HeldFromPeer}: a peer's pending events,
 * held until their outcome), and idempotency keys
 * ({@link io.sserelay.relay.replication.IdempotencyKeys}), which let a publisher retry safely.
 * The wire format is in {@code peer}; this package decides, {@code peer} carries.
 */
package io.sserelay.relay.replication;
