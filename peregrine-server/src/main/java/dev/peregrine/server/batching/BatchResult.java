package dev.peregrine.server.batching;

import java.util.Objects;

/**
 * The rows of one submission, in the order its texts were given, and where its time went.
 *
 * @param rows           one output row per text (pooled embedding or class probabilities)
 * @param queueNanos     from submission to the start of the first pass holding any of its texts
 * @param inferenceNanos from that start to the end of the last pass holding any of its texts
 */
public record BatchResult(float[][] rows, long queueNanos, long inferenceNanos) {

    public BatchResult {
        Objects.requireNonNull(rows, "rows");
    }
}
