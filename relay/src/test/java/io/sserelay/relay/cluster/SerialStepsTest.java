package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SerialStepsTest {

    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-loop"));
    private final AtomicInteger flushes = new AtomicInteger();

    @AfterEach
    void stopLoop() throws InterruptedException {
        loop.shutdownNow();
        assertThat(loop.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aStepQueuedWhileNoneRunsRunsOnTheQueuingThreadBeforeSubmitReturnsAndIsFlushed() {
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64, flushes::incrementAndGet);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        assertThat(steps.submit(() -> ranOn.set(Thread.currentThread()))).isTrue();
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        assertThat(flushes.get()).isEqualTo(1);
    }

    @Test
    void aStepQueuedWhileAnotherThreadRunsStepsIsRunByThatThreadAfterItsOwn() throws Exception {
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64, flushes::incrementAndGet);
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Thread> secondRanOn = new AtomicReference<>();
        Thread first = new Thread(() -> steps.submit(() -> {
            inFirst.countDown();
            awaitQuietly(releaseFirst);
            order.add("first");
        }), "first-submitter");
        first.start();
        assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(steps.submit(() -> {
            order.add("second");
            secondRanOn.set(Thread.currentThread());
        })).isTrue();
        assertThat(order).as("the second step waits for the first, and its submitter does not").isEmpty();

        releaseFirst.countDown();
        first.join(10_000);
        assertThat(order).containsExactly("first", "second");
        assertThat(secondRanOn.get()).isSameAs(first);
        assertThat(flushes.get()).as("one flush after both: the burst goes out together").isEqualTo(1);
    }

    @Test
    void aQueuingThreadRunsAtMostItsLimitAndLeavesTheRestToTheLoopInOrder() {
        SerialSteps steps = new SerialSteps(loop, 4, 1_000, 64, flushes::incrementAndGet);
        List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        steps.submit(() -> {
            for (int i = 1; i <= 10; i++) {
                int step = i;
                steps.submit(() -> {
                    ran.add(step);
                    threads.add(Thread.currentThread().getName());
                });
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 10);
        assertThat(ran).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        // The step that queued the ten counts as one of the queuing thread's four.
        assertThat(threads.subList(0, 3)).containsOnly(Thread.currentThread().getName());
        assertThat(threads.subList(3, 10)).containsOnly("the-loop");
    }

    @Test
    void stepsFromManyThreadsRunOneAtATimeEachThreadsInItsOrderAndNoneIsLost() throws Exception {
        int threads = 4;
        int perThread = 20_000;
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64, flushes::incrementAndGet);
        AtomicBoolean inside = new AtomicBoolean();
        AtomicInteger overlaps = new AtomicInteger();
        int[] lastSeen = new int[threads];
        int[] outOfOrder = new int[1];
        long[] total = new long[1]; // unsynchronized on purpose: the queue alone orders the steps
        ExecutorService submitters = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            submitters.execute(() -> {
                awaitQuietly(start);
                for (int i = 1; i <= perThread; i++) {
                    int sequence = i;
                    steps.submit(() -> {
                        if (!inside.compareAndSet(false, true)) {
                            overlaps.incrementAndGet();
                        }
                        if (lastSeen[thread] != sequence - 1) {
                            outOfOrder[0]++;
                        }
                        lastSeen[thread] = sequence;
                        total[0]++;
                        inside.set(false);
                    });
                }
            });
        }
        start.countDown();
        submitters.shutdown();
        assertThat(submitters.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            AtomicBoolean done = new AtomicBoolean();
            steps.submit(() -> done.set(total[0] == (long) threads * perThread));
            return done.get();
        });
        assertThat(overlaps.get()).isZero();
        assertThat(outOfOrder[0]).isZero();
        assertThat(lastSeen).containsOnly(perThread);
    }

    @Test
    void aLongBurstIsFlushedAtLeastEveryFlushEverySteps() {
        AtomicInteger run = new AtomicInteger();
        List<Integer> stepsAtFlush = Collections.synchronizedList(new ArrayList<>());
        SerialSteps counted = new SerialSteps(loop, 1_000, 1_000, 10, () -> stepsAtFlush.add(run.get()));
        counted.submit(() -> {
            for (int i = 0; i < 25; i++) {
                counted.submit(run::incrementAndGet);
            }
        });
        assertThat(run.get()).isEqualTo(25);
        // The queuing step is the first of the ten; then after 19 steps; then the burst's end.
        assertThat(stepsAtFlush).containsExactly(9, 19, 25);
    }

    @Test
    void aLoopOnlyStepIsNeverRunByAQueuingThreadAndStepsAfterItWaitForItInOrder() {
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64,
                () -> ran.add("flush:" + Thread.currentThread().getName()));
        steps.submit(() -> {
            steps.submit(() -> ran.add("before:" + Thread.currentThread().getName()));
            steps.submitToLoop(() -> ran.add("heavy:" + Thread.currentThread().getName()));
            steps.submit(() -> ran.add("after:" + Thread.currentThread().getName()));
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 5);
        String self = Thread.currentThread().getName();
        assertThat(ran).as("what the queuing thread ran goes out before it leaves the rest")
                .containsExactly("before:" + self, "flush:" + self, "heavy:the-loop", "after:the-loop", "flush:the-loop");
    }

    @Test
    void theLoopLetsItsOtherTasksInBetweenBatchesOfALongQueue() throws Exception {
        SerialSteps steps = new SerialSteps(loop, 1, 10, 64, flushes::incrementAndGet);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch holdLoop = new CountDownLatch(1);
        loop.execute(() -> awaitQuietly(holdLoop)); // the loop is busy while the queue fills
        steps.submit(() -> {
            for (int i = 0; i < 30; i++) {
                int step = i;
                steps.submit(() -> ran.add("step " + step));
            }
        });
        loop.execute(() -> ran.add("another task of the loop"));
        holdLoop.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 31);
        int other = ran.indexOf("another task of the loop");
        assertThat(other).as("after one batch of ten, not after all thirty").isEqualTo(10);
    }

    @Test
    void aStepThatThrowsLeavesTheRestToTheLoop() {
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64, flushes::incrementAndGet);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            steps.submit(() -> {
                steps.submit(() -> ran.add("queued behind the failure"));
                throw new IllegalStateException("a broken step");
            });
        } catch (IllegalStateException e) {
            thrown.set(e);
        }
        assertThat(thrown.get()).hasMessage("a broken step");
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 1);
    }

    @Test
    void nothingIsQueuedAfterClose() {
        SerialSteps steps = new SerialSteps(loop, 16, 1_000, 64, flushes::incrementAndGet);
        steps.close();
        AtomicBoolean ran = new AtomicBoolean();
        assertThat(steps.submit(() -> ran.set(true))).isFalse();
        assertThat(ran).isFalse();
    }

    @Test
    void aQueuingThreadFinishesTheQueueItselfWhenTheLoopIsGone() {
        loop.shutdown();
        SerialSteps steps = new SerialSteps(loop, 2, 1_000, 64, flushes::incrementAndGet);
        List<Integer> ran = new ArrayList<>();
        steps.submit(() -> {
            for (int i = 1; i <= 5; i++) {
                int step = i;
                steps.submit(() -> ran.add(step));
            }
        });
        assertThat(ran).containsExactly(1, 2, 3, 4, 5);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("a latch was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
