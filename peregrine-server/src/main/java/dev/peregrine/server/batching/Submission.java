package dev.peregrine.server.batching;

import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TokenStats;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One caller's texts on their way through the batcher. Its texts may run in different passes, on
 * different workers; the future completes when the last of them is done. Thread-safe: results are
 * written by workers, each index exactly once, and published by the decrement of {@code remaining}.
 */
final class Submission {

    final List<EncodedText> texts;
    final long submittedNanos;
    /** When its answer is due, on the ticker's scale; {@link #NO_DEADLINE} for none. */
    final long deadlineNanos;
    /** Told about each pass holding any of its texts; {@link PassObserver#NONE} when nobody asked. */
    final PassObserver observer;
    final CompletableFuture<BatchResult> future = new CompletableFuture<>();
    private final TextResult[] results;
    private final AtomicInteger remaining;
    private final AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastEnd = new AtomicLong(Long.MIN_VALUE);

    static final long NO_DEADLINE = Long.MAX_VALUE;

    Submission(List<EncodedText> texts, long submittedNanos) {
        this(texts, submittedNanos, NO_DEADLINE);
    }

    Submission(List<EncodedText> texts, long submittedNanos, long deadlineNanos) {
        this(texts, submittedNanos, deadlineNanos, PassObserver.NONE);
    }

    Submission(List<EncodedText> texts, long submittedNanos, long deadlineNanos, PassObserver observer) {
        this.texts = texts;
        this.observer = observer;
        this.submittedNanos = submittedNanos;
        this.deadlineNanos = deadlineNanos;
        this.results = new TextResult[texts.size()];
        this.remaining = new AtomicInteger(texts.size());
    }

    /** Answered, failed, cancelled or timed out: its remaining texts need not run. */
    boolean isDone() {
        return future.isDone();
    }

    /** Fails it with a timeout if its deadline has passed at {@code nowNanos}; true when it is done. */
    boolean doneAt(long nowNanos) {
        if (future.isDone()) {
            return true;
        }
        if (deadlineNanos != NO_DEADLINE && nowNanos - deadlineNanos >= 0) {
            future.completeExceptionally(new TimeoutException("the deadline passed while the texts were queued"));
            return true;
        }
        return false;
    }

    void complete(int index, float[] row, long startNanos, long endNanos) {
        results[index] = new TextResult(row, TokenStats.of(texts.get(index)));
        firstStart.accumulateAndGet(startNanos, Math::min);
        lastEnd.accumulateAndGet(endNanos, Math::max);
        if (remaining.decrementAndGet() == 0) {
            long start = firstStart.get();
            future.complete(new BatchResult(Arrays.asList(results), Math.max(0, start - submittedNanos), Math.max(0, lastEnd.get() - start)));
        }
    }

    void fail(Throwable error) {
        future.completeExceptionally(error);
    }
}
