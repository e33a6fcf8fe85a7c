package dev.peregrine.optimize.bench;

/**
 * One serving configuration of the final model, measured.
 *
 * @param instances      sessions working in parallel, each on its own share of the batches
 * @param threads        ONNX Runtime intra-op threads per session
 * @param spinning       whether idle ONNX Runtime threads spin
 * @param maxBatchTokens padded-token budget per forward pass
 * @param itemsPerSecond texts per second (median pass)
 * @param p50BatchMs     median forward-pass latency
 * @param p99BatchMs     99th-percentile forward-pass latency
 */
public record SweepRow(int instances, int threads, boolean spinning, int maxBatchTokens, double itemsPerSecond,
                       double p50BatchMs, double p99BatchMs) {

    public String label() {
        return instances + "x" + threads + (spinning ? " spin" : " no-spin") + " tokens " + maxBatchTokens;
    }
}
