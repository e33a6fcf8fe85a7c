package dev.peregrine.server.batching;

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
 */
public record BatchingOptions(int maxBatchSize, int maxBatchTokens, Duration maxQueueDelay, int maxQueuedTexts) {

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
    }
}
