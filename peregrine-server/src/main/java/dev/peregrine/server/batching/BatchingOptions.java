package dev.peregrine.server.batching;

import dev.peregrine.core.engine.BatchPlanner;
import java.time.Duration;
import java.util.Objects;

/**
 * How one model's batcher cuts batches and admits work.
 *
 * @param maxBatchSize   most texts in one forward pass
 * @param maxBatchTokens most padded tokens (texts x longest length) in one pass; a text longer
 *                       than this still runs, alone
 * @param maxQueueDelay  longest a queued text waits for companions before its batch is cut while
 *                       a worker is free; zero cuts at once (batches still grow with load, because
 *                       texts arriving while the workers are busy wait together)
 * @param maxQueuedTexts most texts admitted and not yet answered; beyond it, new work is rejected
 *                       at once
 * @param passOverheadTokens the fixed cost of one forward pass in padded-token units: a text joins a
 *                       batch only while the padding it adds (to itself, or to the texts already in
 *                       the batch when it is longer) costs no more than running it in a pass of its
 *                       own would (the engine's {@link BatchPlanner} uses the same cost model)
 */
public record BatchingOptions(int maxBatchSize, int maxBatchTokens, Duration maxQueueDelay, int maxQueuedTexts,
                              int passOverheadTokens) {

    /** With the engine's default pass overhead. */
    public BatchingOptions(int maxBatchSize, int maxBatchTokens, Duration maxQueueDelay, int maxQueuedTexts) {
        this(maxBatchSize, maxBatchTokens, maxQueueDelay, maxQueuedTexts, BatchPlanner.DEFAULT_PASS_OVERHEAD_TOKENS);
    }

    public BatchingOptions {
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1, was " + maxBatchSize);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("maxBatchTokens must be >= 1, was " + maxBatchTokens);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("maxQueueDelay must not be negative, was " + maxQueueDelay);
        }
        if (maxQueuedTexts < 1) {
            throw new IllegalArgumentException("maxQueuedTexts must be >= 1, was " + maxQueuedTexts);
        }
        if (passOverheadTokens < 0) {
            throw new IllegalArgumentException("passOverheadTokens must be >= 0, was " + passOverheadTokens);
        }
    }
}
