package dev.peregrine.optimize.profile;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a model's time goes, from {@link Profiler#run}: for each way of feeding it (one text at a
 * time, then batches) the pipeline's stages as the Java side timed them, and inside ONNX Runtime's
 * run the operators and transformer blocks as its own profiler timed them.
 *
 * @param model       the model profiled
 * @param onnxFile    its ONNX file's name
 * @param texts       texts in the workload
 * @param environment machine and software facts
 * @param modes       one per way of feeding the model
 * @param notes       how to read it
 */
public record ProfileReport(String model, String onnxFile, int texts, Map<String, String> environment,
                            List<Mode> modes, List<String> notes) {

    public ProfileReport {
        Objects.requireNonNull(model, "model");
        environment = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
        modes = List.copyOf(modes);
        notes = List.copyOf(notes);
    }

    /**
     * One way of feeding the model, profiled.
     *
     * @param name               "one text at a time" or "batches of 32 (8192 tokens), length-sorted"
     * @param texts              texts run
     * @param maxBatchSize       texts per forward pass at most
     * @param passes             forward passes made
     * @param realTokens         tokens of the texts
     * @param paddedTokens       tokens the passes computed (rows x longest length per pass)
     * @param paddingShare       the share of computed tokens that were padding: 1 - real / padded
     * @param totalMs            wall time of the whole workload, measured around it
     * @param itemsPerSecond     texts / total time (with stage timers on; not a benchmark)
     * @param stages             tokenization, input tensors, ONNX Runtime run, pooling, output
     * @param unaccountedMs      total minus the stages (loop and batch planning)
     * @param profiledRunMs      ONNX Runtime's own total of its runs in the profiled repeat
     * @param kernelMs           the sum of its operator kernels in those runs
     * @param matrixProductShare the share of kernel time in matrix products ({@link OrtTrace#MATRIX_PRODUCTS})
     * @param operators          kernel time per operator type, largest first
     * @param layers             kernel time per transformer block
     */
    public record Mode(String name, int texts, int maxBatchSize, int passes, long realTokens, long paddedTokens,
                       double paddingShare, double totalMs, double itemsPerSecond, List<Stage> stages,
                       double unaccountedMs, double profiledRunMs, double kernelMs, double matrixProductShare,
                       List<OperatorTime> operators, List<LayerTime> layers) {
        public Mode {
            stages = List.copyOf(stages);
            operators = List.copyOf(operators);
            layers = List.copyOf(layers);
        }

        /** The sum of the stages' times. */
        public double stagesMs() {
            return stages.stream().mapToDouble(Stage::ms).sum();
        }

        /** Padded tokens per real token (1.0 = no padding). */
        public double paddedPerReal() {
            return realTokens == 0 ? 1 : (double) paddedTokens / realTokens;
        }
    }

    /**
     * One pipeline stage.
     *
     * @param name  tokenization, input tensors, onnx runtime run, pooling, output
     * @param ms    its total time over the workload
     * @param share of the workload's total time
     */
    public record Stage(String name, double ms, double share) {
    }

    /**
     * One operator type inside ONNX Runtime's runs.
     *
     * @param opType        MatMul, Attention, LayerNormalization, ...
     * @param ms            summed kernel time
     * @param share         of all kernel time
     * @param calls         kernel executions
     * @param matrixProduct whether it counts as a matrix product
     */
    public record OperatorTime(String opType, double ms, double share, int calls, boolean matrixProduct) {
    }

    /**
     * One transformer block (or "before layers": embeddings).
     *
     * @param layer "layer 0", ...
     * @param ms    summed kernel time of its nodes
     * @param share of all kernel time
     */
    public record LayerTime(String layer, double ms, double share) {
    }
}
