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
        IdempotencyKeys.Claim first = keys.claim("k", A, 0);
        assertThat(first).isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        assertThat(keys.claim("k", A, 1)).as("still publishing").isInstanceOf(IdempotencyKeys.Claim.InProgress.class);
        assertThat(keys.claim("k", B, 1)).isInstanceOf(IdempotencyKeys.Claim.Conflict.class);
        keys.complete("k", (IdempotencyKeys.Claim.Granted) first, "{\"ids\":[\"o:1\"]}", 2);
        assertThat(keys.claim("k", A, 3)).isEqualTo(new IdempotencyKeys.Claim.Replay("{\"ids\":[\"o:1\"]}"));
        assertThat(keys.claim("k", B, 3)).isInstanceOf(IdempotencyKeys.Claim.Conflict.class);
    }

    @Test
    void aFailedPublishFreesItsKeyButACompletedOneKeepsIt() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        IdempotencyKeys.Claim.Granted failed = granted(keys.claim("k", A, 0));
        keys.release("k", failed);
        IdempotencyKeys.Claim.Granted second = granted(keys.claim("k", B, 1));
        keys.complete("k", second, "answer", 2);
        keys.release("k", second);
        assertThat(keys.claim("k", B, 3)).isEqualTo(new IdempotencyKeys.Claim.Replay("answer"));
    }

    @Test
    void onlyTheClaimThatHoldsAKeyFreesIt() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        IdempotencyKeys.Claim.Granted first = granted(keys.claim("k", A, 0));
        keys.release("k", first);
        IdempotencyKeys.Claim.Granted second = granted(keys.claim("k", A, 1));
        keys.release("k", first);
        assertThat(keys.claim("k", A, 2)).as("the first claim's late failure frees nothing")
                .isInstanceOf(IdempotencyKeys.Claim.InProgress.class);
        keys.complete("k", second, "answer", 3);
        assertThat(keys.claim("k", A, 4)).isEqualTo(new IdempotencyKeys.Claim.Replay("answer"));
    }

    @Test
    void keysAreForgottenAfterTheWindowOrOldestFirstBeyondTheirBounds() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofSeconds(10), 1 << 20, 2);
        answered(keys, "old", "1", 0);
        keys.evictExpired(11 * SECOND);
        assertThat(keys.size()).isZero();
        answered(keys, "a", "1", 20 * SECOND);
        answered(keys, "b", "2", 20 * SECOND);
        answered(keys, "c", "3", 20 * SECOND);
        assertThat(keys.claim("a", B, 20 * SECOND)).as("forgotten for the count").isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        assertThat(keys.forgotten()).isEqualTo(2);

        IdempotencyKeys small = new IdempotencyKeys(Duration.ofSeconds(10), 1000, 1000);
        for (int i = 0; i < 100; i++) {
            answered(small, "key-" + i, "x".repeat(50), 0);
        }
        assertThat(small.bytes()).isLessThanOrEqualTo(1000);
        assertThat(small.size()).isBetween(1, 10);
    }

    @Test
    void aKeyInUseIsNeverForgottenWhateverTheBoundsOrTheWindow() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofSeconds(10), 1 << 20, 2);
        IdempotencyKeys.Claim.Granted waiting = granted(keys.claim("waiting", A, 0));
        for (int i = 0; i < 10; i++) {
            answered(keys, "key-" + i, "answer", SECOND);
        }
        keys.evictExpired(60 * SECOND);
        assertThat(keys.claim("waiting", A, 60 * SECOND)).as("a retry while the first publish waits")
                .isInstanceOf(IdempotencyKeys.Claim.InProgress.class);
        keys.complete("waiting", waiting, "done", 61 * SECOND);
        assertThat(keys.claim("waiting", A, 62 * SECOND)).isEqualTo(new IdempotencyKeys.Claim.Replay("done"));
    }

    @Test
    void aPeersRecordNeverReplacesOneThisRelayHas() {
        IdempotencyKeys keys = new IdempotencyKeys(Duration.ofMinutes(1), 1 << 20, 100);
        answered(keys, "k", "mine", 0);
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

    private static IdempotencyKeys.Claim.Granted granted(IdempotencyKeys.Claim claim) {
        assertThat(claim).isInstanceOf(IdempotencyKeys.Claim.Granted.class);
        return (IdempotencyKeys.Claim.Granted) claim;
    }

    private static void answered(IdempotencyKeys keys, String key, String answer, long nowNanos) {
        keys.complete(key, granted(keys.claim(key, A, nowNanos)), answer, nowNanos);
    }
}
