package dev.peregrine.optimize.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.LoadedSession;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.testing.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The static INT8 rewrite on a small graph, with calibration ranges measured from the very input it runs on. */
class StaticInt8QuantizerTest {

    private static final int ROWS = 3;
    private static final int SEQ = 5;
    private static final int IN = 16;
    private static final int OUT = 8;

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static final float[] X = random(ROWS * SEQ * IN, 99);

    /** x -> MatMul(w) -> Add(b) -> y. */
    private static ModelProto matMulPlusBias() {
        GraphBuilder g = new GraphBuilder("q");
        g.input("x", DataType.FLOAT, "batch", "sequence", IN);
        g.initializer(Tensors.floats("w", random(IN * OUT, 2), IN, OUT));
        g.initializer(Tensors.floats("b", random(OUT, 3), OUT));
        String mm = g.op("MatMul", List.of("x", "w"));
        g.node("Add", List.of(mm, "b"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        return g.build();
    }

    /** Per-channel signed ranges of {@code value} over X, as the calibrator measures them. */
    private static ActivationStats rangesOfX(String value) {
        float[] low = new float[IN];
        float[] high = new float[IN];
        float[] abs = new float[IN];
        Arrays.fill(low, Float.POSITIVE_INFINITY);
        Arrays.fill(high, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < X.length; i++) {
            int c = i % IN;
            low[c] = Math.min(low[c], X[i]);
            high[c] = Math.max(high[c], X[i]);
            abs[c] = Math.max(abs[c], Math.abs(X[i]));
        }
        return new ActivationStats(Map.of(value, abs), Map.of(value, low), Map.of(value, high), Map.of(), ROWS);
    }

    @Test
    void matMulPlusBias_becomesQuantizeLinearAndMatMulIntegerToFloat_withCalibratedConstants() {
        ModelProto original = matMulPlusBias();

        Int8Quantizer.Result r = StaticInt8Quantizer.quantize(original, QuantizeOptions.recommended(), rangesOfX("x"));

        OnnxGraph out = OnnxGraph.of(r.model());
        assertThat(out.opCounts()).containsOnly(Map.entry("QuantizeLinear", 1),
                Map.entry("com.microsoft:MatMulIntegerToFloat", 1));
        assertThat(r.report().mode()).isEqualTo(QuantMode.INT8_STATIC);
        assertThat(r.report().converted()).containsEntry("MatMul+Add", 1);
        Node quantize = out.nodes().stream().filter(n -> n.is("QuantizeLinear")).findFirst().orElseThrow();
        float lo = (float) Arrays.stream(toDoubles(X)).min().orElseThrow();
        float hi = (float) Arrays.stream(toDoubles(X)).max().orElseThrow();
        assertThat(out.scalar(quantize.input(1)).orElseThrow()).isCloseTo((hi - lo) / 255.0, within(1e-6));
        Node product = out.nodes().stream().filter(n -> n.is("MatMulIntegerToFloat")).findFirst().orElseThrow();
        assertThat(product.input(6)).isEqualTo("b");
        OrtCheck.Comparison c = OrtCheck.compare(original, r.model(), Map.of("x", Feed.floats(X, ROWS, SEQ, IN)));
        double magnitude = c.maxAbsValue().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertThat(c.worst()).isGreaterThan(0).isLessThan(0.03 * magnitude);
    }

    /**
     * Why the rewrite writes MatMulIntegerToFloat directly: it is what ONNX Runtime's own QDQ
     * transformer makes of the standard QDQ form (u8 activation, s8 per-column weight, no Q after the
     * MatMul) on CPU, but only at the extended level or above; written out, it runs at every level.
     */
    @Test
    void onnxRuntimeTurnsTheQdqFormIntoTheSameIntegerOp() throws Exception {
        ModelProto ours = StaticInt8Quantizer.quantize(matMulPlusBias(), QuantizeOptions.recommended(),
                rangesOfX("x")).model();
        OnnxGraph g = OnnxGraph.of(ours);
        Node quantize = g.nodes().stream().filter(n -> n.is("QuantizeLinear")).findFirst().orElseThrow();
        Node product = g.nodes().stream().filter(n -> n.is("MatMulIntegerToFloat")).findFirst().orElseThrow();
        GraphBuilder qdq = new GraphBuilder("qdq");
        qdq.input("x", DataType.FLOAT, "batch", "sequence", IN);
        for (String c : List.of(quantize.input(1), quantize.input(2), product.input(1), product.input(3), "b")) {
            qdq.initializer(g.initializer(c));
        }
        String xq = qdq.op("QuantizeLinear", List.of("x", quantize.input(1), quantize.input(2)));
        String xd = qdq.op("DequantizeLinear", List.of(xq, quantize.input(1), quantize.input(2)));
        String wd = qdq.op("DequantizeLinear", List.of(product.input(1), product.input(3)), GraphBuilder.attr("axis", 1L));
        String mm = qdq.op("MatMul", List.of(xd, wd));
        qdq.node("Add", List.of(mm, "b"), List.of("y"));
        qdq.output("y", DataType.FLOAT, "batch", "sequence", OUT);

        Map<String, Integer> extended = OnnxGraph.of(ortOptimized(qdq.build(), OptLevel.EXTENDED_OPT)).opCounts();
        Map<String, Integer> basic = OnnxGraph.of(ortOptimized(qdq.build(), OptLevel.BASIC_OPT)).opCounts();

        assertThat(extended).containsEntry("com.microsoft:MatMulIntegerToFloat", 1)
                .doesNotContainKeys("MatMul", "DequantizeLinear");
        assertThat(basic).containsEntry("MatMul", 1).containsKey("DequantizeLinear");
        assertThat(OnnxGraph.of(ortOptimized(ours, OptLevel.BASIC_OPT)).opCounts())
                .containsEntry("com.microsoft:MatMulIntegerToFloat", 1);
    }

    /** The graph ONNX Runtime runs after its optimizations at {@code level}. */
    private static ModelProto ortOptimized(ModelProto model, OptLevel level) throws Exception {
        Path file = Files.createTempFile("static-int8-ort", ".onnx");
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(level);
                options.setOptimizedModelFilePath(file.toString());
                LoadedSession.open(env, model, options).close();
            }
            return OnnxModel.read(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aRowsResult_doesNotDependOnTheOtherRowsOfItsBatch() {
        ModelProto quantized = StaticInt8Quantizer.quantize(matMulPlusBias(), QuantizeOptions.recommended(),
                rangesOfX("x")).model();
        float[] firstRow = Arrays.copyOf(X, SEQ * IN);

        float[] together = OrtCheck.run(quantized, Map.of("x", Feed.floats(X, ROWS, SEQ, IN)), OptLevel.ALL_OPT).get("y");
        float[] alone = OrtCheck.run(quantized, Map.of("x", Feed.floats(firstRow, 1, SEQ, IN)), OptLevel.ALL_OPT).get("y");

        for (int i = 0; i < alone.length; i++) {
            assertThat(together[i]).as("value %d", i).isCloseTo(alone[i], within(1e-6f));
        }
    }

    @Test
    void fusedTinyBert_calibratesIntoStaticQAttentionAndIntegerProducts_andStaysClose() {
        ModelProto original = TinyBert.build();
        ModelProto fused = TransformerOptimizer.optimize(original, FusionOptions.defaults()).model();

        Int8Quantizer.Result r = StaticInt8Quantizer.quantize(fused, QuantizeOptions.recommended(),
                calibrate(fused));

        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("com.microsoft:QAttention", 1)
                .containsEntry("com.microsoft:MatMulIntegerToFloat", 3)
                .doesNotContainKeys("MatMul", "com.microsoft:Attention", "DynamicQuantizeLinear",
                        "com.microsoft:DynamicQuantizeMatMul");
        // Outputs are layer-normalized (order 1): int8 error of a few hundredths at most.
        assertThat(OrtCheck.compare(original, r.model(), TinyBert.feeds()).worst()).isLessThan(0.1);
    }

    @Test
    void unfusedTinyBert_sharesOneQuantizeLinearForQKV_andLeavesTheScoreProductsFloat() {
        ModelProto original = TinyBert.build();

        // 7-bit weights, the choice for AVX2 that is faithful on every CPU, so this runs the same
        // arithmetic everywhere; the coarser weight step puts this random tiny model's worst output
        // near 0.10, hence the bound below (measured 0.1016 here and under an emulated Haswell).
        Int8Quantizer.Result r = StaticInt8Quantizer.quantize(original, QuantizeOptions.recommendedFor(CpuTarget.AVX2),
                calibrate(original));

        Map<String, Integer> ops = OnnxGraph.of(r.model()).opCounts();
        assertThat(ops).containsEntry("com.microsoft:MatMulIntegerToFloat", 6)  // Q, K, V, output, two FFN
                .containsEntry("MatMul", 2)                                     // scores and context: no constant
                .containsEntry("QuantizeLinear", 4);                            // QKV share their input's
        assertThat(r.report().skipped()).containsEntry("MatMul/Gemm whose weight is not a constant", 2);
        assertThat(OrtCheck.compare(original, r.model(), TinyBert.feeds()).worst()).isLessThan(0.15);
    }

    @Test
    void conversionWithoutCalibrationTexts_isRefusedBeforeAnyWork() {
        ModelConversion.Settings settings = new ModelConversion.Settings(FusionOptions.defaults(),
                QuantMode.INT8_STATIC, QuantizeOptions.recommended(), List.of(), Set.of());

        assertThatThrownBy(() -> ModelConversion.convert(Models.minilm(), Path.of("target", "never-written"), "model",
                settings)).isInstanceOf(PeregrineException.class).hasMessageContaining("calibration texts")
                .extracting(e -> ((PeregrineException) e).kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(Path.of("target", "never-written")).doesNotExist();
    }

    /** Calibration on TinyBert's own two feed texts. */
    private static ActivationStats calibrate(ModelProto model) {
        List<EncodedText> texts = List.of(new EncodedText(new long[] {1, 7, 9, 30, 2}, new long[] {0, 0, 0, 1, 1}, false, 0),
                new EncodedText(new long[] {1, 12, 2}, new long[] {0, 0, 0}, false, 0));
        return Calibrator.collect(model, StaticInt8Quantizer.inputsToCalibrate(model, QuantizeOptions.recommended()),
                texts);
    }

    @Test
    void productWhoseInputWasNotCalibrated_staysFloat() {
        Int8Quantizer.Result r = StaticInt8Quantizer.quantize(matMulPlusBias(), QuantizeOptions.recommended(),
                rangesOfX("some_other_value"));

        assertThat(OnnxGraph.of(r.model()).opCounts()).containsOnly(Map.entry("MatMul", 1), Map.entry("Add", 1));
        assertThat(r.report().skipped()).containsEntry("MatMul whose input has no calibrated range", 1);
    }

    @Test
    void statsWithoutSignedRanges_areRefused() {
        ActivationStats magnitudesOnly = new ActivationStats(Map.of("x", new float[IN]), Map.of(), 1);

        assertThatThrownBy(() -> StaticInt8Quantizer.quantize(matMulPlusBias(), QuantizeOptions.recommended(),
                magnitudesOnly)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("calibrated");
    }

    @Test
    void activationRange_alwaysCoversZero_andRepresentsItExactly() {
        ActivationRange positive = ActivationRange.of(0.5f, 2f);
        assertThat(positive.low()).isZero();
        assertThat(positive.zeroPoint()).isZero();
        assertThat(positive.scale()).isCloseTo(2f / 255, within(1e-7f));

        ActivationRange mixed = ActivationRange.of(-1f, 3f);
        assertThat(mixed.zeroPoint()).isEqualTo(64);  // round(1 / (4 / 255))

        ActivationRange negative = ActivationRange.of(-4f, -1f);
        assertThat(negative.high()).isZero();
        assertThat(negative.zeroPoint()).isEqualTo(255);

        assertThatThrownBy(() -> ActivationRange.of(Float.NaN, 1f)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void smoothedRange_isTheRangeOfXDividedPerChannel() {
        ActivationStats stats = new ActivationStats(Map.of(), Map.of("x", new float[] {-1f, -8f}),
                Map.of("x", new float[] {2f, 4f}), Map.of(), 1);

        ActivationRange r = ActivationRange.of(stats, "x", new float[] {1f, 4f}).orElseThrow();

        assertThat(r.low()).isEqualTo(-2f);   // -8 / 4
        assertThat(r.high()).isEqualTo(2f);   // max(2 / 1, 4 / 4)
        assertThat(ActivationRange.of(stats, "y", null)).isEmpty();
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
