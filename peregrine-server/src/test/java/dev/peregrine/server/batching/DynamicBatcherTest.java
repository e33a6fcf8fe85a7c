package dev.peregrine.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.tokenize.EncodedText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher with real threads and a runner whose output identifies each text, so every caller's
 * rows can be checked. Tests wait on conditions (with a generous bound), never on time passing.
 */
class DynamicBatcherTest {

    /** A runner whose row for a text is {id0, length, batch size}; it can be held at a gate. */
    static final class RecordingRunner implements BatchRunner {
        final List<List<Long>> batches = Collections.synchronizedList(new ArrayList<>());
        final Semaphore gate = new Semaphore(Integer.MAX_VALUE);
        final Semaphore entered = new Semaphore(0);

        @Override
        public float[][] run(List<EncodedText> batch) {
            entered.release();
            gate.acquireUninterruptibly();
            List<Long> ids = new ArrayList<>();
            float[][] rows = new float[batch.size()][];
            for (int i = 0; i < batch.size(); i++) {
                EncodedText t = batch.get(i);
                ids.add(t.ids()[0]);
                rows[i] = new float[] {t.ids()[0], t.length(), batch.size()};
            }
            batches.add(ids);
            return rows;
        }

        void hold() {
            gate.drainPermits();
        }

        void release() {
            gate.release(Integer.MAX_VALUE / 2);
        }
    }

    static EncodedText text(long id, int length) {
        long[] ids = new long[length];
        ids[0] = id;
        return new EncodedText(ids, new long[length], false, 0);
    }

    private DynamicBatcher batcher;

    @AfterEach
    void close() {
        if (batcher != null) {
            batcher.close();
        }
    }

    private DynamicBatcher start(BatchingOptions options, Ticker ticker, BatchRunner... runners) {
        batcher = new DynamicBatcher("test", options, List.of(runners), ticker, BatchListener.NONE);
        return batcher;
    }

    private static BatchingOptions options(int maxBatchSize, int maxQueued) {
        return new BatchingOptions(maxBatchSize, 100_000, Duration.ZERO, maxQueued);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(1);
        }
    }

    @Test
    void everySubmission_getsExactlyItsOwnRows_inItsOwnOrder() throws Exception {
        RecordingRunner r1 = new RecordingRunner();
        RecordingRunner r2 = new RecordingRunner();
        start(new BatchingOptions(8, 256, Duration.ZERO, 10_000), Ticker.system(), r1, r2);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            AtomicLong ids = new AtomicLong(1);
            for (int c = 0; c < 8; c++) {
                long seed = c;
                done.add(clients.submit(() -> {
                    Random random = new Random(seed);
                    for (int req = 0; req < 100; req++) {
                        int n = 1 + random.nextInt(5);
                        List<EncodedText> texts = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            texts.add(text(ids.getAndIncrement(), 1 + random.nextInt(60)));
                        }
                        BatchResult result = batcher.submit(texts).join();
                        assertThat(result.texts().size()).isEqualTo(n);
                        for (int i = 0; i < n; i++) {
                            assertThat(result.texts().get(i).values()[0]).isEqualTo((float) texts.get(i).ids()[0]);
                            assertThat(result.texts().get(i).values()[1]).isEqualTo((float) texts.get(i).length());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdownNow();
        }
        List<List<Long>> all = new ArrayList<>(r1.batches);
        all.addAll(r2.batches);
        assertThat(all).allSatisfy(b -> assertThat(b.size()).isBetween(1, 8));
        assertThat(all.stream().mapToInt(List::size).sum()).as("every text ran exactly once")
                .isEqualTo((int) (all.stream().flatMap(List::stream).distinct().count()));
        assertThat(batcher.admittedTexts()).isZero();
    }

    @Test
    void aCallerHoldingItsAnswer_neverSeesItsTextsStillAdmitted() throws Exception {
        // Found under load: a client read /metrics right after its answer and saw its own text still
        // counted as admitted work, because admission was released after the answers were handed out.
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(8, 100), Ticker.system(), runner);
        CompletableFuture<Integer> seenAtAnswer = batcher.submit(List.of(text(1, 5), text(2, 7)))
                .thenApply(result -> batcher.admittedTexts());
        assertThat(runner.entered.tryAcquire(20, TimeUnit.SECONDS)).isTrue();
        assertThat(batcher.admittedTexts()).as("admitted while running").isEqualTo(2);
        runner.release();
        assertThat(seenAtAnswer.get(20, TimeUnit.SECONDS)).as("admitted texts when the answer arrives").isZero();
    }

    /** What a {@link PassObserver} was told, one entry per call. */
    record Pass(long batchId, int texts, int longest, int ownTexts, long start, long end) {
    }

    static PassObserver recordInto(List<Pass> passes) {
        return (id, texts, longest, own, start, end) -> passes.add(new Pass(id, texts, longest, own, start, end));
    }

    @Test
    void passObservers_hearOfEachPassHoldingTheirTexts_once_withTheSharedBatchId() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(8, 100), Ticker.system(), runner);
        CompletableFuture<BatchResult> blocker = batcher.submit(List.of(text(100, 3)));
        assertThat(runner.entered.tryAcquire(20, TimeUnit.SECONDS)).isTrue();   // the worker is busy with it

        List<Pass> a = Collections.synchronizedList(new ArrayList<>());
        List<Pass> b = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<BatchResult> fa = batcher.reserve(2).submit(List.of(text(1, 5), text(2, 9)), Long.MAX_VALUE,
                recordInto(a));
        CompletableFuture<BatchResult> fb = batcher.reserve(1).submit(List.of(text(3, 4)), Long.MAX_VALUE, recordInto(b));
        CompletableFuture<BatchResult> fc = batcher.submit(List.of(text(4, 2)));   // not observed
        await(() -> batcher.submissionsSeen() >= 4 && batcher.queuedTexts() == 0);   // all three in the next batch
        runner.release();
        CompletableFuture.allOf(blocker, fa, fb, fc).get(20, TimeUnit.SECONDS);

        assertThat(runner.batches).hasSize(2);   // the blocker, then the three together
        assertThat(a).hasSize(1);
        assertThat(b).hasSize(1);
        assertThat(a.get(0).batchId()).isPositive().isEqualTo(b.get(0).batchId());
        assertThat(a.get(0)).extracting(Pass::texts, Pass::longest, Pass::ownTexts).containsExactly(4, 9, 2);
        assertThat(b.get(0)).extracting(Pass::texts, Pass::longest, Pass::ownTexts).containsExactly(4, 9, 1);
        assertThat(a.get(0).end()).isGreaterThanOrEqualTo(a.get(0).start());
    }

    @Test
    void aSplitSubmission_hearsOfEveryPass_underDistinctIds() {
        RecordingRunner runner = new RecordingRunner();
        start(options(2, 100), Ticker.system(), runner);
        List<Pass> passes = Collections.synchronizedList(new ArrayList<>());
        batcher.reserve(5).submit(List.of(text(1, 4), text(2, 4), text(3, 4), text(4, 4), text(5, 4)), Long.MAX_VALUE,
                recordInto(passes)).join();

        assertThat(passes).hasSize(runner.batches.size());
        assertThat(passes.stream().mapToInt(Pass::ownTexts).sum()).isEqualTo(5);
        assertThat(passes.stream().map(Pass::batchId).distinct().count()).isEqualTo(passes.size());
        assertThat(passes).allSatisfy(p -> assertThat(p.texts()).isEqualTo(p.ownTexts()).isLessThanOrEqualTo(2));
    }

    @Test
    void aSubmissionLargerThanABatch_isSplit_andCompletesWhenAllItsTextsHaveRun() {
        RecordingRunner runner = new RecordingRunner();
        start(options(2, 100), Ticker.system(), runner);
        List<EncodedText> texts = List.of(text(1, 4), text(2, 4), text(3, 4), text(4, 4), text(5, 4));

        BatchResult result = batcher.submit(texts).join();

        assertThat(runner.batches).hasSizeGreaterThanOrEqualTo(3);
        assertThat(runner.batches).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(2));
        for (int i = 0; i < 5; i++) {
            assertThat(result.texts().get(i).values()[0]).isEqualTo(i + 1f);
        }
    }

    @Test
    void fullQueue_rejectsAtOnce_andAcceptsAgainWhenRoomIsFreed() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(4, 5), Ticker.system(), runner);

        CompletableFuture<BatchResult> first = batcher.submit(List.of(text(1, 3), text(2, 3), text(3, 3)));
        assertThatThrownBy(() -> batcher.reserve(3)).isInstanceOf(OverloadedException.class)
                .hasMessageContaining("limit is 5");
        CompletableFuture<BatchResult> second = batcher.submit(List.of(text(4, 3), text(5, 3)));
        assertThat(batcher.admittedTexts()).isEqualTo(5);
        assertThatThrownBy(() -> batcher.reserve(1)).isInstanceOf(OverloadedException.class);

        runner.release();
        first.get(20, TimeUnit.SECONDS);
        second.get(20, TimeUnit.SECONDS);
        await(() -> batcher.admittedTexts() == 0);
        assertThat(batcher.submit(List.of(text(6, 3))).get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(6f);
    }

    @Test
    void cancelledSubmission_isSkipped_notRun_andItsRoomIsReleased() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(4, 100), Ticker.system(), runner);
        CompletableFuture<BatchResult> busy = batcher.submit(List.of(text(1, 3)));
        runner.entered.acquire();
        CompletableFuture<BatchResult> gone = batcher.submit(List.of(text(2, 3), text(3, 3)));
        CompletableFuture<BatchResult> kept = batcher.submit(List.of(text(4, 3)));
        await(() -> batcher.submissionsSeen() == 3);

        gone.cancel(false);
        runner.release();

        busy.get(20, TimeUnit.SECONDS);
        assertThat(kept.get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(4f);
        assertThat(runner.batches.stream().flatMap(List::stream).toList()).containsExactlyInAnyOrder(1L, 4L);
        await(() -> batcher.admittedTexts() == 0);
    }

    @Test
    void thePreparedBatch_growsWithTextsArrivingWhileTheWorkerIsBusy() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(8, 100), Ticker.system(), runner);
        CompletableFuture<BatchResult> busy = batcher.submit(List.of(text(1, 3)));
        runner.entered.acquire();
        List<CompletableFuture<BatchResult>> later = new ArrayList<>();
        for (long id = 2; id <= 4; id++) {
            later.add(batcher.submit(List.of(text(id, 3))));
        }
        await(() -> batcher.submissionsSeen() == 4);

        runner.release();
        busy.get(20, TimeUnit.SECONDS);
        for (CompletableFuture<BatchResult> f : later) {
            assertThat(f.get(20, TimeUnit.SECONDS).texts().get(0).values()[2]).as("batch size seen by the runner").isEqualTo(3f);
        }
        assertThat(runner.batches).containsExactly(List.of(1L), List.of(2L, 3L, 4L));
    }

    @Test
    void whileOneWorkerIsBusy_newTextsGoToTheIdleWorker_notIntoTheBusyOnesNextBatch() throws Exception {
        RecordingRunner first = new RecordingRunner();
        RecordingRunner second = new RecordingRunner();
        first.hold();
        second.hold();
        start(options(8, 100), Ticker.system(), first, second);
        // Whichever worker takes the first text is held inside its pass.
        CompletableFuture<BatchResult> a = batcher.submit(List.of(text(1, 3)));
        await(() -> first.entered.availablePermits() + second.entered.availablePermits() == 1);
        RecordingRunner busy = first.entered.availablePermits() == 1 ? first : second;
        RecordingRunner idle = busy == first ? second : first;
        idle.release();

        // The idle worker must run these now, not leave them prepared behind the held pass.
        CompletableFuture<BatchResult> b = batcher.submit(List.of(text(2, 3)));
        assertThat(b.get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(2f);
        CompletableFuture<BatchResult> c = batcher.submit(List.of(text(3, 3), text(4, 3)));
        assertThat(c.get(20, TimeUnit.SECONDS).texts()).hasSize(2);
        assertThat(a).isNotDone();
        assertThat(idle.batches.stream().flatMap(List::stream).toList()).containsExactly(2L, 3L, 4L);

        busy.release();
        assertThat(a.get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(1f);
    }

    @Test
    void aBatchPreparedForABusyWorker_isTakenOverByAWorkerThatFallsIdle() throws Exception {
        RecordingRunner first = new RecordingRunner();
        RecordingRunner second = new RecordingRunner();
        first.hold();
        second.hold();
        start(options(8, 100), Ticker.system(), first, second);
        CompletableFuture<BatchResult> a = batcher.submit(List.of(text(1, 3)));
        await(() -> first.entered.availablePermits() + second.entered.availablePermits() == 1);
        CompletableFuture<BatchResult> b = batcher.submit(List.of(text(2, 3)));
        await(() -> first.entered.availablePermits() + second.entered.availablePermits() == 2);
        // Both workers are held; text 3 is prepared for one of them (the first slot, as both are busy).
        CompletableFuture<BatchResult> c = batcher.submit(List.of(text(3, 3)));
        await(() -> batcher.submissionsSeen() == 3);

        // Free the second worker only: text 3 must not wait behind the first worker's held pass.
        second.release();
        assertThat(c.get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(3f);
        assertThat(second.batches.stream().flatMap(List::stream).toList()).contains(3L);
        assertThat(first.batches).isEmpty();
        first.release();
        a.get(20, TimeUnit.SECONDS);
        b.get(20, TimeUnit.SECONDS);
    }

    @Test
    void maxQueueDelay_holdsALoneTextForCompanions_untilTheTickerSaysItsWaitIsOver() throws Exception {
        AtomicLong now = new AtomicLong();
        RecordingRunner runner = new RecordingRunner();
        start(new BatchingOptions(8, 100_000, Duration.ofHours(1), 100), now::get, runner);

        CompletableFuture<BatchResult> a = batcher.submit(List.of(text(1, 5)));
        await(() -> batcher.submissionsSeen() == 1);
        assertThat(batcher.queuedTexts()).as("held: the oldest text has not waited an hour").isEqualTo(1);
        now.addAndGet(Duration.ofHours(1).toNanos());
        CompletableFuture<BatchResult> b = batcher.submit(List.of(text(2, 5)));

        assertThat(a.get(20, TimeUnit.SECONDS).texts().get(0).values()[2]).isEqualTo(2f);
        assertThat(b.get(20, TimeUnit.SECONDS).texts().get(0).values()[2]).isEqualTo(2f);
        assertThat(a.join().queueNanos()).isEqualTo(Duration.ofHours(1).toNanos());
        assertThat(runner.batches).containsExactly(List.of(1L, 2L));
    }

    @Test
    void aFailingPass_failsTheSubmissionsInIt_andTheBatcherCarriesOn() throws Exception {
        BatchRunner flaky = batch -> {
            if (batch.stream().anyMatch(t -> t.ids()[0] == 13)) {
                throw new IllegalStateException("boom");
            }
            return new RecordingRunner().run(batch);
        };
        start(options(1, 100), Ticker.system(), flaky);

        CompletableFuture<BatchResult> bad = batcher.submit(List.of(text(13, 2)));
        assertThatThrownBy(() -> bad.get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("boom");
        assertThat(batcher.submit(List.of(text(7, 2))).get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(7f);
        await(() -> batcher.admittedTexts() == 0);
    }

    @Test
    void shutdown_refusesNewWork_butFinishesEveryAdmittedText() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(2, 100), Ticker.system(), runner);
        List<CompletableFuture<BatchResult>> admitted = new ArrayList<>();
        for (long id = 1; id <= 6; id++) {
            admitted.add(batcher.submit(List.of(text(id, 3))));
        }
        DynamicBatcher.Reservation pending = batcher.reserve(1);

        batcher.shutdown();
        assertThatThrownBy(() -> batcher.reserve(1)).isInstanceOf(BatcherClosedException.class);
        CompletableFuture<BatchResult> late = pending.submit(List.of(text(7, 3)));
        runner.release();

        assertThat(batcher.awaitTermination(Duration.ofSeconds(20))).isTrue();
        for (int i = 0; i < admitted.size(); i++) {
            assertThat(admitted.get(i).getNow(null).texts().get(0).values()[0]).isEqualTo(i + 1f);
        }
        assertThat(late.getNow(null).texts().get(0).values()[0]).isEqualTo(7f);
    }

    @Test
    void textsPastTheirDeadline_areDroppedNotRun_andTheirSubmissionTimesOut() throws Exception {
        AtomicLong now = new AtomicLong();
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(4, 100), now::get, runner);
        CompletableFuture<BatchResult> busy = batcher.submit(List.of(text(1, 3)));
        runner.entered.acquire();
        CompletableFuture<BatchResult> late = batcher.reserve(2).submit(List.of(text(2, 3), text(3, 3)), 1_000);
        CompletableFuture<BatchResult> onTime = batcher.reserve(1).submit(List.of(text(4, 3)), 10_000);
        await(() -> batcher.submissionsSeen() == 3);

        now.set(5_000);   // past the first deadline, before the second
        runner.release();

        busy.get(20, TimeUnit.SECONDS);
        assertThat(onTime.get(20, TimeUnit.SECONDS).texts().get(0).values()[0]).isEqualTo(4f);
        assertThatThrownBy(() -> late.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        assertThat(runner.batches.stream().flatMap(List::stream).toList()).containsExactlyInAnyOrder(1L, 4L);
        await(() -> batcher.admittedTexts() == 0);
    }

    @Test
    void admissionByEstimatedWork_refusesAtOnce_whenTheQueueCannotFinishBeforeTheDeadline() throws Exception {
        AtomicLong now = new AtomicLong();
        RecordingRunner recording = new RecordingRunner();
        // A pass costs 1 microsecond per token on the injected clock.
        BatchRunner timed = batch -> {
            float[][] rows = recording.run(batch);
            now.addAndGet(1_000L * batch.stream().mapToInt(EncodedText::length).sum());
            return rows;
        };
        start(options(8, 1000), now::get, timed);
        List<EncodedText> first = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            first.add(text(i, 100));
        }
        batcher.submit(first).get(20, TimeUnit.SECONDS);
        await(() -> batcher.admittedTexts() == 0);

        recording.hold();
        CompletableFuture<BatchResult> busy = batcher.submit(List.of(text(100, 100)));
        recording.entered.acquire();
        List<EncodedText> queued = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            queued.add(text(200 + i, 100));
        }
        CompletableFuture<BatchResult> waiting = batcher.reserve(8, Long.MAX_VALUE).submit(queued, Long.MAX_VALUE);
        assertThat(batcher.admittedTokens()).isEqualTo(900);
        assertThat(batcher.estimatedWorkNanos()).isEqualTo(900_000);

        // 900 tokens queued + 2 texts of about 100 = about 1.1 ms of work: a deadline 0.5 ms away cannot be met.
        long t = now.get();
        assertThatThrownBy(() -> batcher.reserve(2, t + 500_000)).isInstanceOf(OverloadedException.class)
                .hasMessageContaining("would not finish");
        assertThat(batcher.admittedTexts()).as("nothing taken by the refusal").isEqualTo(9);
        DynamicBatcher.Reservation fits = batcher.reserve(2, t + 5_000_000);
        fits.cancel();

        recording.release();
        busy.get(20, TimeUnit.SECONDS);
        waiting.get(20, TimeUnit.SECONDS);
        await(() -> batcher.admittedTexts() == 0);
        assertThat(batcher.admittedTokens()).isZero();
        // An empty queue admits whatever the deadline: only the estimate could be wrong.
        batcher.reserve(2, now.get() + 1).cancel();
    }

    @Test
    void aCancelledSubmission_leavesTheQueuedWorkAtOnce_notWhenItsTextsAreMet() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(options(4, 100), Ticker.system(), runner);
        CompletableFuture<BatchResult> busy = batcher.submit(List.of(text(1, 3)));
        runner.entered.acquire();
        List<EncodedText> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(text(10 + i, 50));
        }
        CompletableFuture<BatchResult> gone = batcher.submit(many);
        await(() -> batcher.submissionsSeen() == 2);
        assertThat(batcher.admittedTokens()).isEqualTo(3 + 20 * 50);

        gone.cancel(false);
        // The worker is still held: only a purge can release the texts still in the queue (the four
        // prepared in the held worker's slot leave when it takes them).
        await(() -> batcher.admittedTokens() <= 3 + 4 * 50);
        runner.release();
        busy.get(20, TimeUnit.SECONDS);
        await(() -> batcher.admittedTokens() == 0);
    }
}
