package dev.peregrine.server.inference;

import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.server.ServeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How one model is served, after merging, per setting: the flag given, else the model folder's
 * {@code peregrine.json} recommendation, else the default.
 *
 * @param instances         workers running forward passes at once
 * @param threads           intra-op threads per worker
 * @param shareWeights      the workers share one ONNX Runtime session (one copy of the weights) rather
 *                          than each holding its own
 * @param maxBatchSize      texts per pass
 * @param maxBatchTokens    padded tokens per pass
 * @param passOverheadTokens the fixed cost of one pass in padded tokens, which the batcher weighs
 *                          padding against
 * @param graphOptimization ONNX Runtime level
 * @param allowSpinning     ONNX Runtime spinning, null for its default
 * @param spinBetweenPasses whether spinning threads go on spinning after a pass returns
 * @param fromHints         the settings taken from {@code peregrine.json} (for the start-up log)
 */
public record ModelSettings(int instances, int threads, boolean shareWeights, int maxBatchSize, int maxBatchTokens,
                            int passOverheadTokens, GraphOptimization graphOptimization, Boolean allowSpinning, boolean spinBetweenPasses,
                            List<String> fromHints) {

    public ModelSettings {
        Objects.requireNonNull(graphOptimization, "graphOptimization");
        fromHints = List.copyOf(fromHints);
    }

    /** Merges flags, hints (may be null) and defaults. */
    public static ModelSettings resolve(ServeConfig config, ServingHints hints, boolean optimizedGraph) {
        List<String> used = new ArrayList<>();
        int instances = pick(config.instances(), hints == null ? null : hints.instances(), ServeConfig.DEFAULT_INSTANCES,
                "instances", used);
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = pick(config.threads(), hints == null ? null : hints.threads(), Math.max(1, cores / instances),
                "threads", used);
        int maxBatchSize = pick(config.maxBatchSize(), hints == null ? null : hints.maxBatchSize(),
                ServeConfig.DEFAULT_MAX_BATCH_SIZE, "max_batch_size", used);
        int maxBatchTokens = pick(config.maxBatchTokens(), hints == null ? null : hints.maxBatchTokens(),
                ServeConfig.DEFAULT_MAX_BATCH_TOKENS, "max_batch_tokens", used);
        GraphOptimization level;
        if (config.graphOptimization() != null) {
            level = config.graphOptimization();
        } else if (optimizedGraph) {
            // The recommended graph was already optimized by ONNX Runtime when it was written.
            level = GraphOptimization.NONE;
            used.add("optimized_model");
        } else if (hints != null && hints.graphOptimization() != null) {
            level = GraphOptimization.parse(hints.graphOptimization());
            used.add("graph_optimization");
        } else {
            level = GraphOptimization.ALL;
        }
        Boolean spinning = config.allowSpinning();
        if (spinning == null && hints != null && hints.allowSpinning() != null) {
            spinning = hints.allowSpinning();
            used.add("allow_spinning");
        }
        return new ModelSettings(instances, threads, config.shareWeights(), maxBatchSize, maxBatchTokens,
                config.passOverheadTokens(), level, spinning, config.spinBetweenPasses(), used);
    }


    private static int pick(Integer flag, Integer hint, int fallback, String name, List<String> used) {
        if (flag != null) {
            return flag;
        }
        if (hint != null) {
            used.add(name);
            return hint;
        }
        return fallback;
    }

    /** The ONNX Runtime sessions the workers run on: one shared by all, or one each. */
    public int sessions() {
        return shareWeights ? 1 : instances;
    }

    /**
     * The engine options of one session. A shared session gets the intra-op threads of every worker:
     * each concurrent pass runs on its caller's thread plus the pool's, so N workers of T threads keep
     * N x T threads busy at most, as N sessions would.
     *
     * @param graphCache the optimized-graph cache folder, or null for none
     */
    public EngineOptions engineOptions(int maxLength, java.nio.file.Path graphCache) {
        int intraOp = shareWeights && instances > 1 && threads > 0 ? instances * (threads - 1) + 1 : threads;
        return EngineOptions.builder()
                .graphOptimization(graphOptimization)
                .intraOpThreads(intraOp)
                .optimizedModelCache(graphCache)
                .allowSpinning(allowSpinning)
                .spinBetweenRuns(spinBetweenPasses)
                .maxBatchSize(maxBatchSize)
                .maxBatchTokens(maxBatchTokens)
                .maxLength(maxLength)
                .build();
    }

    /** The folder to load: the variant flag, else the recommended optimized graph or variant, else the folder as resolved. */
    static ModelFolder chooseVariant(ModelFolder resolved, ServeConfig config, ServingHints hints) {
        if (config.variant() != null || hints == null) {
            return resolved;
        }
        String wanted = hints.optimizedModel() != null ? hints.optimizedModel() : hints.variant();
        if (wanted == null) {
            return resolved;
        }
        return ModelFolder.open(resolved.root(), wanted, resolved.name());
    }
}
