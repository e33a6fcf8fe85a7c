package dev.peregrine.optimize.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.testing.TinyBert;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The INT8 rewrite on small graphs. Tolerance: int8 weights and uint8 activations carry about 1% of
 * relative error per product, so outputs must stay within {@link #RELATIVE} of the float outputs'
 * largest magnitude. Options are those for the CPU the test runs on, as {@code quantize --target-cpu auto}
 * chooses them, so the tests hold on AVX2, AVX-512 and VNNI machines alike.
 */
class Int8QuantizerTest {

    private static final double RELATIVE = 0.03;
    /** For the CPU the test runs on: 7-bit weights where its int8 products saturate (AVX2 without VNNI). */
    private static final QuantizeOptions HERE = QuantizeOptions.defaults().forTarget(CpuTarget.detect());
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

    private static Map<String, Feed> feeds() {
        return Map.of("x", Feed.floats(random(3 * 5 * IN, 99), 3, 5, IN));
    }

    private static GraphBuilder withInput() {
        GraphBuilder g = new GraphBuilder("q");
        g.input("x", DataType.FLOAT, "batch", "sequence", IN);
        return g;
    }

    private static void assertClose(ModelProto original, ModelProto quantized) {
        OrtCheck.Comparison c = OrtCheck.compare(original, quantized, feeds());
        double magnitude = c.maxAbsValue().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertThat(c.worst()).isGreaterThan(0).isLessThan(RELATIVE * magnitude);
    }

    private static Map<String, Integer> ops(ModelProto m) {
        return OnnxGraph.of(m).opCounts();
    }

    @Test
    void oneMatMul_becomesDynamicQuantizeMatMul() {
        GraphBuilder g = withInput();
        g.initializer(Tensors.floats("w", random(IN * OUT, 1), IN, OUT));
        g.node("MatMul", List.of("x", "w"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        ModelProto original = g.build();

        Int8Quantizer.Result r = Int8Quantizer.quantize(original, HERE);

        assertThat(ops(r.model())).containsExactly(Map.entry("com.microsoft:DynamicQuantizeMatMul", 1));
        TensorProto w = r.model().getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == DataType.INT8.getNumber()).findFirst().orElseThrow();
        assertThat(w.getDimsList()).containsExactly((long) IN, (long) OUT);
        assertThat(r.report().converted()).containsEntry("MatMul", 1);
        assertClose(original, r.model());
    }

    @Test
    void matMulPlusBias_foldsTheBiasIntoTheOp() {
        GraphBuilder g = withInput();
        g.initializer(Tensors.floats("w", random(IN * OUT, 2), IN, OUT));
        g.initializer(Tensors.floats("b", random(OUT, 3), OUT));
        String mm = g.op("MatMul", List.of("x", "w"));
        g.node("Add", List.of("b", mm), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        ModelProto original = g.build();

        Int8Quantizer.Result r = Int8Quantizer.quantize(original, HERE.withPerChannel(true));

        assertThat(ops(r.model())).containsExactly(Map.entry("com.microsoft:DynamicQuantizeMatMul", 1));
        NodeProto q = r.model().getGraph().getNode(0);
        assertThat(q.getInput(4)).isEqualTo("b");
        TensorProto scale = r.model().getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals(q.getInput(2))).findFirst().orElseThrow();
        assertThat(scale.getDimsList()).containsExactly((long) OUT);  // per channel
        assertClose(original, r.model());
    }

    @Test
    void weightSharedByTwoNodes_isQuantizedOnce() {
        GraphBuilder g = withInput();
        g.input("x2", DataType.FLOAT, "batch", "sequence", IN);
        g.initializer(Tensors.floats("w", random(IN * OUT, 4), IN, OUT));
        String a = g.op("MatMul", List.of("x", "w"));
        String b = g.op("MatMul", List.of(g.op("Relu", List.of("x")), "w"));
        g.node("Add", List.of(a, b), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        ModelProto original = g.build();

        Int8Quantizer.Result r = Int8Quantizer.quantize(original, HERE);

        OnnxGraph out = OnnxGraph.of(r.model());
        List<Node> quantized = out.nodes().stream().filter(n -> n.is("DynamicQuantizeMatMul")).toList();
        assertThat(quantized).hasSize(2);
        assertThat(quantized.get(0).input(1)).isEqualTo(quantized.get(1).input(1));
        assertThat(r.model().getGraph().getInitializerList())
                .filteredOn(t -> t.getDataType() == DataType.INT8.getNumber()).hasSize(1);
        assertThat(out.initializer("w")).isNull();  // the float weight is gone
        assertClose(original, r.model());
    }

    @Test
    void nonConstantWeight_isLeftAlone() {
        GraphBuilder g = withInput();
        g.input("w", DataType.FLOAT, IN, OUT);
        g.node("MatMul", List.of("x", "w"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        ModelProto original = g.build();

        Int8Quantizer.Result r = Int8Quantizer.quantize(original, HERE);

        assertThat(ops(r.model())).containsExactly(Map.entry("MatMul", 1));
        assertThat(r.report().skipped()).containsEntry("MatMul/Gemm whose weight is not a constant", 1);
        assertThat(r.report().convertedCount()).isZero();
    }

    @Test
    void excludedNode_staysFloat() {
        GraphBuilder g = withInput();
        g.initializer(Tensors.floats("w", random(IN * OUT, 5), IN, OUT));
        g.node("MatMul", List.of("x", "w"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", "sequence", OUT);
        ModelProto original = g.build();
        String name = original.getGraph().getNode(0).getName();

        Int8Quantizer.Result r = Int8Quantizer.quantize(original,
                HERE.withExclude(List.of(name.substring(0, 3) + "*")));

        assertThat(ops(r.model())).containsExactly(Map.entry("MatMul", 1));
        assertThat(r.report().excluded()).containsExactly(name);
    }

    @Test
    void fusedAttention_becomesQAttention_andStaysClose() {
        ModelProto original = TinyBert.build();
        ModelProto fused = TransformerOptimizer.optimize(original, FusionOptions.defaults()).model();

        Int8Quantizer.Result r = Int8Quantizer.quantize(fused, HERE.withPerChannel(true));

        assertThat(ops(r.model())).containsEntry("com.microsoft:QAttention", 1)
                .containsEntry("DynamicQuantizeLinear", 1)
                .containsEntry("com.microsoft:DynamicQuantizeMatMul", 3)
                .doesNotContainKeys("MatMul", "com.microsoft:Attention");
        OrtCheck.Comparison c = OrtCheck.compare(original, r.model(), TinyBert.feeds());
        // Outputs are layer-normalized (order 1): int8 error of a few hundredths at most.
        assertThat(c.worst()).isLessThan(0.1);
    }

    @Test
    void weightQuantizer_roundTripsWithinHalfAStep() {
        float[] w = random(IN * OUT, 6);
        WeightQuantizer.Quantized q = WeightQuantizer.quantize(w, IN, OUT, true, false);
        float[] back = WeightQuantizer.dequantize(q, IN, OUT);
        for (int r = 0; r < IN; r++) {
            for (int c = 0; c < OUT; c++) {
                assertThat(Math.abs(back[r * OUT + c] - w[r * OUT + c])).isLessThanOrEqualTo(q.scales()[c] / 2 + 1e-7f);
            }
        }
        for (byte b : q.values()) {
            assertThat((int) b).isBetween(-127, 127);
        }
    }

    @Test
    void float16_keepsFloat32InputsAndOutputs() {
        ModelProto original = TransformerOptimizer.optimize(TinyBert.build(), FusionOptions.defaults()).model();

        Float16Converter.Result r = Float16Converter.convert(original, Float16Converter.DEFAULT_KEEP_FLOAT);

        assertThat(r.model().getGraph().getOutput(0).getType().getTensorType().getElemType())
                .isEqualTo(DataType.FLOAT.getNumber());
        assertThat(r.model().getGraph().getInitializerList())
                .noneMatch(t -> t.getDataType() == DataType.FLOAT.getNumber());
        OrtCheck.Comparison c = OrtCheck.compare(TinyBert.build(), r.model(), TinyBert.feeds());
        assertThat(c.worst()).isLessThan(0.02);
    }

    @Test
    void halfConversion_roundsToNearestEven() {
        assertThat(Float16Converter.toHalfBits(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(Float16Converter.toHalfBits(-2.0f)).isEqualTo((short) 0xc000);
        assertThat(Float16Converter.toHalfBits(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Float16Converter.toHalfBits(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Float16Converter.toHalfBits(5.9604645e-8f)).isEqualTo((short) 0x0001);  // smallest subnormal
        assertThat(Float16Converter.toHalfBits(1.0009765625f)).isEqualTo((short) 0x3c01);
    }
}
