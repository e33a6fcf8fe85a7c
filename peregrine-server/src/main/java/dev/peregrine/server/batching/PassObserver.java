package dev.peregrine.server.batching;

/**
 * Told about each forward pass that holds any of one submission's texts (tracing uses it to show a
 * request's passes). Called on the worker thread right after the pass, once per pass per submission,
 * so an implementation must be thread-safe and quick: record, don't work.
 */
@FunctionalInterface
public interface PassObserver {

    /** Observes nothing; the batcher skips the bookkeeping for it. */
    PassObserver NONE = (batchId, texts, longest, ownTexts, startNanos, endNanos) -> { };

    /**
     * @param batchId    the pass's number, unique within its batcher (the same in every request it served)
     * @param texts      texts in the pass, of every request
     * @param longest    tokens of its longest text: the length every text was padded to
     * @param ownTexts   how many of them were this submission's
     * @param startNanos when the pass started, on the batcher's ticker
     * @param endNanos   when it ended
     */
    void pass(long batchId, int texts, int longest, int ownTexts, long startNanos, long endNanos);
}
