package dev.peregrine.core.engine;

import dev.peregrine.core.model.Pooling;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How an {@link Engine} runs a model. Immutable; build one with {@link #builder()} or start from
 * {@link #defaults()}.
 *
 * @param graphOptimization   ONNX Runtime's graph optimization level
 * @param intraOpThreads      threads ONNX Runtime uses inside one operator; 0 lets it choose (one per core)
 * @param allowSpinning       whether idle ONNX Runtime threads spin waiting for work (lower latency,
 *                            more CPU); null keeps ONNX Runtime's default (on)
 * @param spinBetweenRuns     whether spinning threads go on spinning after a forward pass ends
 *                            (ONNX Runtime's default); false stops them as the last concurrent pass
 *                            returns, so between passes they leave the cores to the caller's other
 *                            threads, while within a pass they still spin
 * @param maxBatchSize        most texts in one forward pass
 * @param maxBatchTokens      most padded tokens (texts x longest length) in one forward pass; a single
 *                            text longer than this still runs, alone
 * @param maxLength           truncate texts to this many tokens; 0 uses the model's own limit (a larger
 *                            value is capped to the model's limit)
 * @param sortByLength        group texts of similar token length into the same batch (less padding);
 *                            results always come back in input order
 * @param passOverheadTokens  the fixed cost of one forward pass in padded-token units, which the
 *                            batch planner weighs against padding (see {@link BatchPlanner})
 * @param pooling             overrides the pooling the model folder declares; null keeps it
 * @param optimizedModelCache a folder of graphs ONNX Runtime already optimized ({@link OptimizedModelCache}):
 *                            a graph found there loads with optimizations off, one not found is
 *                            optimized and written there; null for none
 * @param optimizedModelPath  where ONNX Runtime writes the graph after its optimizations, so a later
 *                            start can load it directly; null for none
 */
public record EngineOptions(
        GraphOptimization graphOptimization,
        int intraOpThreads,
        Boolean allowSpinning,
        boolean spinBetweenRuns,
        int maxBatchSize,
        int maxBatchTokens,
        int maxLength,
        boolean sortByLength,
        int passOverheadTokens,
        Pooling pooling,
        Path optimizedModelCache,
        Path optimizedModelPath) {

    public static final int DEFAULT_MAX_BATCH_SIZE = 32;
    public static final int DEFAULT_MAX_BATCH_TOKENS = 8192;

    public EngineOptions {
        Objects.requireNonNull(graphOptimization, "graphOptimization");
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0 (0 = automatic), was " + intraOpThreads);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1, was " + maxBatchSize);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("maxBatchTokens must be >= 1, was " + maxBatchTokens);
        }
        if (passOverheadTokens < 0) {
            throw new IllegalArgumentException("passOverheadTokens must be >= 0, was " + passOverheadTokens);
        }
        if (maxLength < 0 || maxLength == 1) {
            throw new IllegalArgumentException("maxLength must be 0 (model limit) or >= 2, was " + maxLength);
        }
        if (optimizedModelCache != null && optimizedModelPath != null) {
            throw new IllegalArgumentException("optimizedModelCache and optimizedModelPath both write the optimized "
                    + "graph; set one");
        }
    }

    public static EngineOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .graphOptimization(graphOptimization)
                .intraOpThreads(intraOpThreads)
                .allowSpinning(allowSpinning)
                .spinBetweenRuns(spinBetweenRuns)
                .maxBatchSize(maxBatchSize)
                .maxBatchTokens(maxBatchTokens)
                .maxLength(maxLength)
                .sortByLength(sortByLength)
                .passOverheadTokens(passOverheadTokens)
                .pooling(pooling)
                .optimizedModelCache(optimizedModelCache)
                .optimizedModelPath(optimizedModelPath);
    }

    /** Fills an {@link EngineOptions}; unset values keep their defaults. Not thread-safe. */
    public static final class Builder {
        private GraphOptimization graphOptimization = GraphOptimization.ALL;
        private int intraOpThreads = 0;
        private Boolean allowSpinning = null;
        private boolean spinBetweenRuns = true;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;
        private int maxLength = 0;
        private boolean sortByLength = true;
        private int passOverheadTokens = BatchPlanner.DEFAULT_PASS_OVERHEAD_TOKENS;
        private Pooling pooling = null;
        private Path optimizedModelCache = null;
        private Path optimizedModelPath = null;

        private Builder() {
        }

        public Builder graphOptimization(GraphOptimization value) {
            this.graphOptimization = Objects.requireNonNull(value, "graphOptimization");
            return this;
        }

        public Builder intraOpThreads(int value) {
            this.intraOpThreads = value;
            return this;
        }

        public Builder allowSpinning(Boolean value) {
            this.allowSpinning = value;
            return this;
        }

        public Builder spinBetweenRuns(boolean value) {
            this.spinBetweenRuns = value;
            return this;
        }

        public Builder maxBatchSize(int value) {
            this.maxBatchSize = value;
            return this;
        }

        public Builder maxBatchTokens(int value) {
            this.maxBatchTokens = value;
            return this;
        }

        public Builder maxLength(int value) {
            this.maxLength = value;
            return this;
        }

        public Builder sortByLength(boolean value) {
            this.sortByLength = value;
            return this;
        }

        public Builder passOverheadTokens(int value) {
            this.passOverheadTokens = value;
            return this;
        }

        public Builder pooling(Pooling value) {
            this.pooling = value;
            return this;
        }

        public Builder optimizedModelCache(Path value) {
            this.optimizedModelCache = value;
            return this;
        }

        public Builder optimizedModelPath(Path value) {
            this.optimizedModelPath = value;
            return this;
        }

        /** @throws IllegalArgumentException when a value is out of range */
        public EngineOptions build() {
            return new EngineOptions(graphOptimization, intraOpThreads, allowSpinning, spinBetweenRuns, maxBatchSize,
                    maxBatchTokens, maxLength, sortByLength, passOverheadTokens, pooling, optimizedModelCache,
                    optimizedModelPath);
        }
    }
}
