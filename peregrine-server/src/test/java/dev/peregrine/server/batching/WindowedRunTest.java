package dev.peregrine.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.server.batching.DynamicBatcherTest.RecordingRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Long texts' windows through the batcher a round at a time: every window's row in order, one
 * admission for all of them, and other requests served between the rounds. Real threads; the
 * runner is held at a gate where the order of events matters, and tests wait on conditions.
 */
class WindowedRunTest {

    private DynamicBatcher batcher;

    @AfterEach
    void close() {
        if (batcher != null) {
            batcher.close();
        }
    }

    private DynamicBatcher start(int maxBatchSize, int maxQueued, RecordingRunner... runners) {
        batcher = new DynamicBatcher("test", new BatchingOptions(maxBatchSize, 100_000, Duration.ZERO, maxQueued),
                List.of(runners), Ticker.system(), BatchListener.NONE);
        return batcher;
    }

    /** Windows of one long text: ids 1..n, each 16 tokens. */
    private static List<EncodedText> windows(int n) {
        List<EncodedText> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(DynamicBatcherTest.text(i, 16));
        }
        return out;
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
    void everyWindowsRowComesBackInOrder_fromRoundsOfOnePassPerWorker() throws Exception {
        RecordingRunner a = new RecordingRunner();
        RecordingRunner b = new RecordingRunner();
        start(3, 100, a, b);

        BatchResult result = WindowedRun.start(batcher, windows(17), Long.MAX_VALUE, PassObserver.NONE).get(20, TimeUnit.SECONDS);

        assertThat(result.texts()).hasSize(17);
        for (int i = 0; i < 17; i++) {
            assertThat(result.texts().get(i).values()[0]).isEqualTo(i + 1f);
        }
        List<List<Long>> passes = new ArrayList<>(a.batches);
        passes.addAll(b.batches);
        assertThat(passes).allSatisfy(p -> assertThat(p.size()).isBetween(1, 3));
        assertThat(passes.stream().mapToInt(List::size).sum()).isEqualTo(17);
        assertThat(WindowedRun.roundSize(batcher.options(), 2, 16)).isEqualTo(6);
        await(() -> batcher.admittedTexts() == 0 && batcher.admittedTokens() == 0);
    }

    @Test
    void aShortRequestArrivingDuringALongText_runsInTheNextPass_notAfterAllItsWindows() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(4, 100, runner);
        CompletableFuture<BatchResult> longText = WindowedRun.start(batcher, windows(40), Long.MAX_VALUE, PassObserver.NONE);
        runner.entered.acquire();          // the first round's pass is running (held at the gate)
        CompletableFuture<BatchResult> shortText = batcher.submit(List.of(DynamicBatcherTest.text(999, 3)));
        await(() -> batcher.submissionsSeen() == 2);

        runner.release();
        shortText.get(20, TimeUnit.SECONDS);
        longText.get(20, TimeUnit.SECONDS);

        List<List<Long>> passes = new ArrayList<>(runner.batches);
        int shortPass = -1;
        for (int p = 0; p < passes.size(); p++) {
            if (passes.get(p).contains(999L)) {
                shortPass = p;
            }
        }
        // Queued at once, the 40 windows would have run in 10 passes before it.
        assertThat(shortPass).as("the pass that ran the short text, of " + passes).isEqualTo(1);
        assertThat(passes.stream().mapToInt(List::size).sum()).isEqualTo(41);
    }

    @Test
    void allWindowsAreAdmittedAtOnce_orRefusedBeforeAnyRuns() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        start(4, 10, runner);

        assertThatThrownBy(() -> WindowedRun.start(batcher, windows(11), Long.MAX_VALUE, PassObserver.NONE))
                .isInstanceOf(OverloadedException.class).hasMessageContaining("limit is 10");
        assertThat(batcher.admittedTexts()).isZero();
        assertThat(batcher.admittedTokens()).isZero();
        assertThat(runner.batches).isEmpty();

        runner.hold();
        CompletableFuture<BatchResult> run = WindowedRun.start(batcher, windows(10), Long.MAX_VALUE, PassObserver.NONE);
        // Its rounds not yet queued still hold their room: 10 texts and 160 tokens.
        assertThat(batcher.admittedTexts()).isEqualTo(10);
        assertThat(batcher.admittedTokens()).isEqualTo(160);
        assertThatThrownBy(() -> batcher.reserve(1)).isInstanceOf(OverloadedException.class);
        runner.release();
        assertThat(run.get(20, TimeUnit.SECONDS).texts()).hasSize(10);
        await(() -> batcher.admittedTexts() == 0 && batcher.admittedTokens() == 0);
    }

    @Test
    void aCancelledRun_dropsItsQueuedRound_releasesTheRest_andTheBatcherStillShutsDown() throws Exception {
        RecordingRunner runner = new RecordingRunner();
        runner.hold();
        start(4, 100, runner);
        CompletableFuture<BatchResult> run = WindowedRun.start(batcher, windows(20), Long.MAX_VALUE, PassObserver.NONE);
        runner.entered.acquire();

        run.cancel(false);
        runner.release();

        await(() -> batcher.admittedTexts() == 0 && batcher.admittedTokens() == 0);
        assertThat(runner.batches.stream().mapToInt(List::size).sum()).as("only the first round ran").isEqualTo(4);
        batcher.shutdown();
        assertThat(batcher.awaitTermination(Duration.ofSeconds(20))).as("no reservation left open").isTrue();
    }
}
