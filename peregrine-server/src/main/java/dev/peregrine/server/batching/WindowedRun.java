package dev.peregrine.server.batching;

import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The windows of long texts ({@link dev.peregrine.core.engine.LongTextMode#CHUNK}) through one
 * model's batcher, a round at a time, as texts like any others: they are batched with other
 * requests' texts, run by the same workers, and counted in the same admission.
 *
 * <h2>Why rounds</h2>
 * A long text can be a hundred windows. Queued at once they would form a convoy: every request
 * arriving after it would wait for all of them (the queue keeps arrival order, so that no text
 * starves). So only one round is queued at a time, as many windows as the workers take in one pass
 * each; the next round is queued when that one is answered. A request that arrived meanwhile is
 * then already queued ahead of the next round and runs in the next passes: a long text shares the
 * workers with the requests around it instead of holding them, and its own wait grows only by the
 * passes it lets through.
 *
 * <h2>Admission</h2>
 * All windows are admitted at once, by their real tokens, before any runs: a text whose windows
 * would not finish before its deadline is refused (429) up front, not after half of them ran. The
 * room of the rounds not yet queued stays reserved, so it counts as queued work for other
 * requests' admission too.
 */
public final class WindowedRun {

    private final DynamicBatcher.Reservation reservation;
    private final List<List<EncodedText>> rounds;
    private final long deadlineNanos;
    private final PassObserver observer;
    private final TextResult[] results;
    private final CompletableFuture<BatchResult> result = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    /** Guarded by this: the round queued now, and the next one's index. */
    private CompletableFuture<BatchResult> current;
    private int next;
    private int done;
    private long queueNanos = -1;

    private WindowedRun(DynamicBatcher.Reservation reservation, List<List<EncodedText>> rounds, int windows,
                        long deadlineNanos, PassObserver observer) {
        this.reservation = reservation;
        this.rounds = rounds;
        this.deadlineNanos = deadlineNanos;
        this.observer = observer;
        this.results = new TextResult[windows];
    }

    /**
     * Admits the windows and queues their first round.
     *
     * @param windows       every window of the request's texts, in order
     * @param deadlineNanos on the batcher's ticker's scale; {@code Long.MAX_VALUE} for none
     * @param observer      told about each pass that holds any of the windows
     * @return the answers of all windows in the order given (cancel it, or let the deadline pass, to
     *         drop the windows not yet run), with the queue time of the first round and the time
     *         from its first pass to the end of the last
     * @throws OverloadedException    when the batcher cannot admit them all (see {@link DynamicBatcher#reserve})
     * @throws BatcherClosedException after the batcher's shutdown
     */
    public static CompletableFuture<BatchResult> start(DynamicBatcher batcher, List<EncodedText> windows,
                                                       long deadlineNanos, PassObserver observer) {
        Objects.requireNonNull(batcher, "batcher");
        Objects.requireNonNull(observer, "observer");
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("no windows");
        }
        long tokens = 0;
        int longest = 1;
        for (EncodedText w : windows) {
            tokens += WorkItem.lengthOf(w);
            longest = Math.max(longest, WorkItem.lengthOf(w));
        }
        int size = roundSize(batcher.options(), batcher.workers(), longest);
        List<List<EncodedText>> rounds = new ArrayList<>();
        for (int from = 0; from < windows.size(); from += size) {
            rounds.add(List.copyOf(windows.subList(from, Math.min(windows.size(), from + size))));
        }
        DynamicBatcher.Reservation reservation = batcher.reserve(windows.size(), tokens, deadlineNanos);
        WindowedRun run = new WindowedRun(reservation, rounds, windows.size(), deadlineNanos, observer);
        run.result.whenComplete((v, e) -> {
            if (e != null) {
                run.stop();
            }
        });
        run.queueNext();
        return run.result;
    }

    /** Windows per round: one full pass for each worker. */
    static int roundSize(BatchingOptions options, int workers, int windowLength) {
        int perPass = Math.max(1, Math.min(options.maxBatchSize(), options.maxBatchTokens() / windowLength));
        return (int) Math.min(Integer.MAX_VALUE, (long) perPass * Math.max(1, workers));
    }

    private synchronized void queueNext() {
        if (result.isDone()) {
            return;
        }
        int k = next++;
        List<EncodedText> round = rounds.get(k);
        boolean last = k == rounds.size() - 1;
        CompletableFuture<BatchResult> f;
        try {
            f = last ? reservation.submit(round, deadlineNanos, observer)
                    : reservation.submitPart(round, deadlineNanos, observer);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        current = f;
        int offset = k * rounds.get(0).size();
        f.whenComplete((batch, error) -> answered(offset, batch, error));
    }

    private void answered(int offset, BatchResult batch, Throwable error) {
        if (error != null) {
            result.completeExceptionally(unwrap(error));
            return;
        }
        boolean finished;
        synchronized (this) {
            for (int i = 0; i < batch.texts().size(); i++) {
                results[offset + i] = batch.texts().get(i);
            }
            if (queueNanos < 0) {
                queueNanos = batch.queueNanos();
            }
            finished = ++done == rounds.size();
        }
        if (finished) {
            long inference = Math.max(0, System.nanoTime() - startNanos - queueNanos);
            result.complete(new BatchResult(Arrays.asList(results), queueNanos, inference));
        } else {
            queueNext();
        }
    }

    /** Called off (failed, cancelled, timed out): drops the round queued and releases the rest. */
    private synchronized void stop() {
        if (current != null) {
            current.cancel(false);
        }
        reservation.cancel();
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
