package dev.peregrine.cli;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.Pooling;
import picocli.CommandLine.Option;

/**
 * The options that choose a model and how the engine runs it, declared once (flag, environment
 * variable, default, help) and shared by every command that loads a model.
 */
public final class ModelOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME",
            defaultValue = "${env:PEREGRINE_MODEL}",
            description = "Model folder, .onnx file, embedded name (see 'peregrine models') or pulled hub id "
                    + "ORG/NAME. Default: ${sys:peregrine.defaultModel:-" + EmbeddedModels.DEFAULT_MODEL + "}. "
                    + "Env: PEREGRINE_MODEL.")
    String model;

    @Option(names = "--variant", paramLabel = "NAME", defaultValue = "${env:PEREGRINE_VARIANT}",
            description = "ONNX variant inside the folder, e.g. quantized for onnx/model_quantized.onnx. "
                    + "Default: model.onnx. Env: PEREGRINE_VARIANT.")
    String variant;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:PEREGRINE_THREADS:-0}",
            description = "ONNX Runtime intra-op threads; 0 = one per core. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_THREADS.")
    int threads;

    @Option(names = "--graph-optimization", paramLabel = "LEVEL",
            defaultValue = "${env:PEREGRINE_GRAPH_OPTIMIZATION:-all}",
            description = "ONNX Runtime graph optimization: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_GRAPH_OPTIMIZATION.")
    GraphOptimization graphOptimization;

    @Option(names = "--max-batch-size", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_SIZE:-" + EngineOptions.DEFAULT_MAX_BATCH_SIZE + "}",
            description = "Most texts in one forward pass. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_BATCH_SIZE.")
    int maxBatchSize;

    @Option(names = "--max-batch-tokens", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_TOKENS:-" + EngineOptions.DEFAULT_MAX_BATCH_TOKENS + "}",
            description = "Most padded tokens (texts x longest) in one forward pass. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_BATCH_TOKENS.")
    int maxBatchTokens;

    @Option(names = "--max-length", paramLabel = "TOKENS", defaultValue = "${env:PEREGRINE_MAX_LENGTH:-0}",
            description = "Truncate texts to this many tokens; 0 = the model's own limit. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_LENGTH.")
    int maxLength;

    @Option(names = "--pooling", paramLabel = "MODE",
            description = "Override the model's pooling for token embeddings: mean, cls, max, mean-sqrt-len, last-token.",
            converter = PoolingConverter.class)
    Pooling pooling;

    /** The model reference given, or {@code fallback} when none was. */
    public String modelOr(String fallback) {
        return model == null || model.isBlank() ? fallback : model;
    }

    /** Resolves the model, defaulting to {@code fallback} when no --model was given. */
    public ModelFolder folder(ModelResolver resolver, String fallback) {
        return resolver.resolve(modelOr(fallback), variant);
    }

    public EngineOptions engineOptions() {
        return EngineOptions.builder()
                .graphOptimization(graphOptimization)
                .intraOpThreads(threads)
                .maxBatchSize(maxBatchSize)
                .maxBatchTokens(maxBatchTokens)
                .maxLength(maxLength)
                .pooling(pooling)
                .build();
    }

    /** Resolves and loads the model. */
    public Engine open(ModelResolver resolver, String fallback) {
        return Engine.open(folder(resolver, fallback), engineOptions());
    }

    /** Converts pooling names for picocli (accepts mean, cls, max, mean-sqrt-len, last-token). */
    public static final class PoolingConverter implements picocli.CommandLine.ITypeConverter<Pooling> {
        @Override
        public Pooling convert(String value) {
            return Pooling.parse(value);
        }
    }
}
