package dev.peregrine.server.batching;

/**
 * Told about every forward pass a batcher runs; the server records these as metrics. Called on
 * worker threads, so implementations must be thread-safe and quick.
 */
public interface BatchListener {

    BatchListener NONE = (texts, paddedTokens, inferenceNanos) -> { };

    /**
     * @param texts          texts in the pass
     * @param paddedTokens   texts x longest length: what the pass cost
     * @param inferenceNanos wall time of the pass
     */
    void onBatch(int texts, long paddedTokens, long inferenceNanos);
}
