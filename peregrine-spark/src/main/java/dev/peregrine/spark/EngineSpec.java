package dev.peregrine.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which engine a task needs: travels from the driver to the executors inside the partition
 * function, and is the key under which an executor keeps its one engine per model.
 *
 * @param model     a model folder on a path every executor can read, a folder shipped with
 *                  {@link SparkModels#ship}, an embedded name such as {@code all-minilm-l6-v2},
 *                  or a pulled hub id
 * @param threads   ONNX Runtime intra-op threads of the executor's engine; 0 = one per core
 * @param batchSize most texts in one forward pass
 */
record EngineSpec(String model, int threads, int batchSize) implements Serializable {
    EngineSpec {
        Objects.requireNonNull(model, "model");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
    }
}
