package io.sserelay.relay.replication;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class IdempotencyKeysTest {

    private static final byte[] A = {1};
    private static final byte[] B = {2};
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aRetryOfTheSameRequestGetsTheFirstAnswerAndAnotherRequestIsAConflict() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        assertThat(keys.claim("k", A, 0)).isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        assertThat(keys.claim("k", A, 1)).as("still publishing").isInstanceOf(IdempotencyKeys.Claim.InProgress.class);
        assertThat(keys.claim("k", B, 1)).isInstanceOf(IdempotencyKeys.Claim.Conflict.class);
        keys.complete("k", A, "{\"ids\":[\"o:1\"]}", 2);
        assertThat(keys.claim("k", A, 3)).isEqualTo(new IdempotencyKeys.Claim.Replay("{\"ids\":[\"o:1\"]}"));
        assertThat(keys.claim("k", B, 3)).isInstanceOf(IdempotencyKeys.Claim.Conflict.class);
    }

    @Test
    void aFailedPublishFreesItsKeyButACompletedOneKeepsIt() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        keys.claim("k", A, 0);
        keys.release("k");
        assertThat(keys.claim("k", B, 1)).isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        keys.complete("k", B, "answer", 2);
        keys.release("k");
        assertThat(keys.claim("k", B, 3)).isEqualTo(new IdempotencyKeys.Claim.Replay("answer"));
    }

    @Test
    void keysAreForgottenAfterTheWindowOrOldestFirstBeyondTheirBounds() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofSeconds(10), 1 << 20, 2);
        keys.complete("old", A, "1", 0);
        keys.evictExpired(11 * SECOND);
        assertThat(keys.size()).isZero();
        keys.complete("a", A, "1", 20 * SECOND);
        keys.complete("b", A, "2", 20 * SECOND);
        keys.complete("c", A, "3", 20 * SECOND);
        assertThat(keys.claim("a", B, 20 * SECOND)).as("forgotten for the count").isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        assertThat(keys.forgotten()).isEqualTo(2);

        IdempotencyKeys small = new IdempotencyKeys(Duration.ofSeconds(10), 1000, 1000);
        for (int i = 0; i < 100; i++) {
            small.complete("key-" + i, A, "x".repeat(50), 0);
        }
        assertThat(small.bytes()).isLessThanOrEqualTo(1000);
        assertThat(small.size()).isBetween(1, 10);
    }

    @Test
    void aPeersRecordNeverReplacesOneThisRelayHas() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        keys.complete("k", A, "mine", 0);
        keys.remember("k", B, "theirs", 1);
        assertThat(keys.claim("k", A, 2)).isEqualTo(new IdempotencyKeys.Claim.Replay("mine"));
        keys.remember("p", B, "theirs", 1);
        assertThat(keys.claim("p", B, 2)).isEqualTo(new IdempotencyKeys.Claim.Replay("theirs"));
    }

    @Test
    void keysArePrintableAsciiOfAtMost255Characters() {
        assertThat(IdempotencyKeys.problem("9f1c2d7e-5b7a-4c1e-9a65-2a9c8c0e7f11")).isNull();
        assertThat(IdempotencyKeys.problem("order 42 / attempt")).isNull();
        assertThat(IdempotencyKeys.problem("")).isEqualTo("the Idempotency-Key is 0 characters long; use 1 to 255");
        assertThat(IdempotencyKeys.problem("k".repeat(256))).isEqualTo("the Idempotency-Key is 256 characters long; use 1 to 255");
        assertThat(IdempotencyKeys.problem("clé")).isEqualTo("the Idempotency-Key may hold printable ASCII characters"
                + " only (a UUID is a good key); character 3 is not one");
        assertThat(IdempotencyKeys.problem("a\tb")).isNotNull();
    }
}
