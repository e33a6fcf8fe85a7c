package dev.peregrine.server.batching;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The convoy workload of issue 10: many requests of 16 texts of mixed length queued at once. Cut
 * from the whole queue, every request's texts were spread over the whole queue's passes and all
 * requests finished late together; cut from a lookahead window, they finish in about arrival order
 * at about the same padding.
 */
class ConvoyTest {

    private static final int REQUESTS = 40;
    private static final int TEXTS = 16;
    private static final int BATCH = 32;
    private static final int OVERHEAD = 32;

    /**
     * @param finishOrder  request indices in the order they completed
     * @param meanFinish   mean over requests of the pass (1-based) in which their last text ran
     * @param cost         the work by the planner's cost model: {@link #OVERHEAD} per pass plus padded tokens
     */
    record Outcome(int[] finishOrder, double meanFinish, double paddingRatio, int passes, long cost) {
    }

    /** Queues the workload at once, cuts every batch, and records when each request's last text ran. */
    static Outcome drain(int lookahead) {
        LengthGroupedQueue queue = new LengthGroupedQueue(i -> { }, OVERHEAD, lookahead);
        Random random = new Random(10);
        Map<Submission, Integer> index = new HashMap<>();
        Map<Submission, Integer> left = new HashMap<>();
        for (int r = 0; r < REQUESTS; r++) {
            List<EncodedText> texts = new ArrayList<>();
            for (int t = 0; t < TEXTS; t++) {
                int length = 6 + random.nextInt(60);
                texts.add(new EncodedText(new long[length], new long[length], false, 0));
            }
            Submission s = new Submission(texts, r, 1_000_000L + r);
            index.put(s, r);
            left.put(s, TEXTS);
            for (int t = 0; t < TEXTS; t++) {
                queue.add(new WorkItem(s, t, r));
            }
        }
        int[] order = new int[REQUESTS];
        int finished = 0;
        long padded = 0;
        long real = 0;
        int passes = 0;
        long finishSum = 0;
        PlannedBatch batch;
        while ((batch = queue.cut(BATCH, 8192)) != null) {
            passes++;
            padded += batch.paddedTokens();
            real += batch.tokens;
            for (WorkItem item : batch.items) {
                if (left.merge(item.owner, -1, Integer::sum) == 0) {
                    order[finished++] = index.get(item.owner);
                    finishSum += passes;
                }
            }
        }
        assertThat(finished).isEqualTo(REQUESTS);
        return new Outcome(order, (double) finishSum / REQUESTS, (double) padded / real, passes,
                (long) passes * OVERHEAD + padded);
    }

    /** Spearman's rank correlation between arrival and completion. */
    static double rankCorrelation(int[] finishOrder) {
        int n = finishOrder.length;
        double sum = 0;
        for (int rank = 0; rank < n; rank++) {
            double d = rank - finishOrder[rank];
            sum += d * d;
        }
        return 1 - 6 * sum / (n * ((double) n * n - 1));
    }

    /** The most younger requests that finished before some request. */
    static int mostOvertaken(int[] finishOrder) {
        int worst = 0;
        for (int rank = 0; rank < finishOrder.length; rank++) {
            int overtakers = 0;
            for (int before = 0; before < rank; before++) {
                if (finishOrder[before] > finishOrder[rank]) {
                    overtakers++;
                }
            }
            worst = Math.max(worst, overtakers);
        }
        return worst;
    }

    @Test
    void cutFromTheWholeQueue_everyRequestFinishesLateTogether() {
        Outcome convoy = drain(Integer.MAX_VALUE);
        assertThat(convoy.meanFinish()).as("mean finishing pass, of %d", convoy.passes())
                .isGreaterThan(0.85 * convoy.passes());
        assertThat(mostOvertaken(convoy.finishOrder())).isGreaterThan(10);
    }

    @Test
    void cutFromTheLookaheadWindow_requestsFinishInAboutArrivalOrder_atAboutTheSamePadding() {
        Outcome convoy = drain(Integer.MAX_VALUE);
        Outcome fair = drain(DynamicBatcher.LOOKAHEAD_BATCHES * BATCH);

        assertThat(rankCorrelation(fair.finishOrder())).isGreaterThan(0.95);
        assertThat(mostOvertaken(fair.finishOrder())).as("younger requests done before an older one").isLessThanOrEqualTo(6);
        assertThat(fair.meanFinish()).as("mean finishing pass, of %d", fair.passes())
                .isLessThan(0.75 * fair.passes());
        // The window costs little work: about the passes and padding of planning the whole queue at once.
        assertThat((double) fair.cost()).as("work of the fair order against the convoy's")
                .isLessThanOrEqualTo(1.06 * convoy.cost());
        assertThat(fair.paddingRatio()).as("padded / real tokens").isLessThan(1.2);
    }

    @Test
    void throughARealBatcher_theWorkloadCompletesInAboutArrivalOrder() throws Exception {
        DynamicBatcherTest.RecordingRunner runner = new DynamicBatcherTest.RecordingRunner();
        runner.hold();
        try (DynamicBatcher batcher = new DynamicBatcher("convoy", new BatchingOptions(BATCH, 8192, java.time.Duration.ZERO,
                REQUESTS * TEXTS), List.of(runner), Ticker.system(), BatchListener.NONE)) {
            Random random = new Random(10);
            List<Integer> finished = java.util.Collections.synchronizedList(new ArrayList<>());
            List<java.util.concurrent.CompletableFuture<BatchResult>> all = new ArrayList<>();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
            for (int r = 0; r < REQUESTS; r++) {
                List<EncodedText> texts = new ArrayList<>();
                for (int t = 0; t < TEXTS; t++) {
                    texts.add(DynamicBatcherTest.text(r * 100L + t, 6 + random.nextInt(60)));
                }
                int request = r;
                all.add(batcher.reserve(TEXTS, deadline + r).submit(texts, deadline + r)
                        .whenComplete((v, e) -> finished.add(request)));
            }
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (batcher.submissionsSeen() < REQUESTS && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            runner.release();
            for (var f : all) {
                f.get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
            int[] order = finished.stream().mapToInt(Integer::intValue).toArray();
            assertThat(rankCorrelation(order)).as("finish order %s", finished).isGreaterThan(0.9);
            assertThat(mostOvertaken(order)).as("finish order %s", finished).isLessThanOrEqualTo(8);
        }
    }
}
