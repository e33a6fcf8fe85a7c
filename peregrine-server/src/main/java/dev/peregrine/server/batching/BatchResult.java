package dev.peregrine.server.batching;

import dev.peregrine.core.engine.TextResult;
import java.util.List;
import java.util.Objects;

/**
 * The answers of one submission, in the order its texts were given, and where its time went.
 *
 * @param texts          one result per text: its output row (pooled embedding or class
 *                       probabilities, as the runner returned it) and its token statistics
 * @param queueNanos     from submission to the start of the first pass holding any of its texts
 * @param inferenceNanos from that start to the end of the last pass holding any of its texts
 */
public record BatchResult(List<TextResult> texts, long queueNanos, long inferenceNanos) {

    public BatchResult {
        Objects.requireNonNull(texts, "texts");
    }
}
