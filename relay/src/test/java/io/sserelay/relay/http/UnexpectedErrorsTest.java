package io.sserelay.relay.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A fault answered 500 is counted every time and logged with its stack at most once a minute per cause. */
class UnexpectedErrorsTest {

    private final List<String> counted = new ArrayList<>();
    private final List<String> logged = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1);
    private final UnexpectedErrors errors = new UnexpectedErrors(counted::add, now::get,
            (message, error) -> logged.add(message + " | " + error.getClass().getSimpleName()));

    @Test
    void aRepeatedFaultIsCountedEveryTimeButLoggedOnceAMinute() {
        for (int i = 0; i < 1000; i++) {
            ApiError answer = errors.record("subscribe", "GET /streams/a", sameCause());
            assertThat(answer.status()).isEqualTo(500);
            assertThat(answer.code()).isEqualTo("internal_error");
        }
        assertThat(counted).hasSize(1000).containsOnly("subscribe");
        assertThat(logged).containsExactly("unexpected failure serving GET /streams/a | IllegalStateException");

        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        errors.record("subscribe", "GET /streams/a", sameCause());
        assertThat(logged).hasSize(1);
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        errors.record("subscribe", "GET /streams/a", sameCause());
        assertThat(logged).hasSize(2).last().asString()
                .contains("the same failure happened 1000 more time(s) since it was last logged");
    }

    @Test
    void eachCauseHasItsOwnScheduleAndTheirNumberIsBounded() {
        errors.record("publish", "POST /streams/a", sameCause());
        errors.record("publish", "POST /streams/a", new IllegalArgumentException("another cause"));
        assertThat(logged).hasSize(2);

        for (int i = 0; i < 10 * UnexpectedErrors.MAX_CAUSES; i++) {
            errors.record("publish", "POST /streams/a", causeThrownAt(i));
        }
        assertThat(logged.size()).as("causes beyond the bound share one schedule")
                .isLessThanOrEqualTo(UnexpectedErrors.MAX_CAUSES + 1);
    }

    private static IllegalStateException sameCause() {
        return new IllegalStateException("a broken invariant");
    }

    /** An exception whose top frame differs for each {@code i}: a distinct cause. */
    private static RuntimeException causeThrownAt(int i) {
        RuntimeException e = new UnsupportedOperationException("cause " + i);
        e.setStackTrace(new StackTraceElement[] {new StackTraceElement("Somewhere", "method" + i, "Somewhere.java", i)});
        return e;
    }
}
