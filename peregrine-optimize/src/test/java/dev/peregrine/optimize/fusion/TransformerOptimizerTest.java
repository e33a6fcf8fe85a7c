package dev.peregrine.optimize.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.testing.TinyBert;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each fusion on graphs built the way exporters write them. Every rewritten graph must load in ONNX
 * Runtime and match the original within {@link #TOLERANCE} on inputs that include padding.
 */
class TransformerOptimizerTest {

    /** Fusions reorder float sums; on this tiny encoder that moves outputs by about 1e-6. */
    private static final double TOLERANCE = 1e-4;

    @Test
    void exporterStyleEncoder_fusesEveryBlock_andKeepsOutputs() {
        ModelProto original = TinyBert.build();
        TransformerOptimizer.Result r = TransformerOptimizer.optimize(original,
                FusionOptions.all().withGelu(GeluMode.BIAS));

        FusionReport report = r.report();
        assertThat(report.fused("attention")).isEqualTo(1);
        assertThat(report.fused("skip-layer-norm")).isEqualTo(2);
        assertThat(report.fused("gelu")).isEqualTo(1);
        assertThat(report.fused("embed-layer-norm")).isEqualTo(1);
        Map<String, Integer> ops = OnnxGraph.of(r.model()).opCounts();
        assertThat(ops).containsEntry("com.microsoft:Attention", 1)
                .containsEntry("com.microsoft:SkipLayerNormalization", 2)
                .containsEntry("com.microsoft:BiasGelu", 1)
                .containsEntry("com.microsoft:EmbedLayerNormalization", 1)
                .doesNotContainKeys("Softmax", "Erf", "Transpose", "ReduceMean");
        assertThat(ops.get("MatMul")).isEqualTo(3);  // attention output, intermediate, output
        assertMatches(original, r.model());
    }

    @Test
    void exactGelu_leavesTheBiasAddForTheQuantizer() {
        TransformerOptimizer.Result r = TransformerOptimizer.optimize(TinyBert.build(), FusionOptions.defaults());

        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("com.microsoft:Gelu", 1)
                .doesNotContainKey("com.microsoft:BiasGelu");
        assertMatches(TinyBert.build(), r.model());
    }

    @Test
    void defaults_leaveEmbeddingsUnfused() {
        TransformerOptimizer.Result r = TransformerOptimizer.optimize(TinyBert.build(), FusionOptions.defaults());

        assertThat(r.report().fused("embed-layer-norm")).isZero();
        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("LayerNormalization", 1)
                .containsEntry("com.microsoft:Attention", 1);
        assertMatches(TinyBert.build(), r.model());
    }

    @Test
    void fastGelu_replacesTheBiasAndErf() {
        TransformerOptimizer.Result r = TransformerOptimizer.optimize(TinyBert.build(),
                FusionOptions.all().withGelu(GeluMode.FAST));

        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("com.microsoft:FastGelu", 1)
                .doesNotContainKey("com.microsoft:BiasGelu");
        // The tanh approximation differs from erf by up to about 5e-4 on values of order 1.
        OrtCheck.Comparison c = OrtCheck.compare(TinyBert.build(), r.model(), TinyBert.feeds());
        assertThat(c.worst()).isLessThan(5e-3);
    }

    @Test
    void attentionWithAnUnknownMaskForm_isReportedAndLeftAlone() {
        ModelProto original = TinyBert.build(TinyBert.Variant.SMALL_MASK_CONSTANT);
        TransformerOptimizer.Result r = TransformerOptimizer.optimize(original, FusionOptions.all());

        assertThat(r.report().fused("attention")).isZero();
        FusionReport.Step step = r.report().steps().stream().filter(s -> s.fusion().equals("attention"))
                .findFirst().orElseThrow();
        assertThat(step.misses()).containsKey("mask fill value is not a large negative constant");
        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("Softmax", 1);
        assertMatches(original, r.model());
    }

    @Test
    void graphWithNothingToFuse_isUnchangedAndStillCorrect() {
        GraphBuilder g = new GraphBuilder("plain");
        g.input("x", DataType.FLOAT, "batch", 4);
        g.initializer(Tensors.floats("w", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3));
        String y = g.op("MatMul", List.of("x", "w"));
        g.node("Relu", List.of(y), List.of("out"));
        g.output("out", DataType.FLOAT, "batch", 3);
        ModelProto original = g.build();

        TransformerOptimizer.Result r = TransformerOptimizer.optimize(original, FusionOptions.all());

        assertThat(r.report().opsAfter()).isEqualTo(r.report().opsBefore());
        assertThat(r.report().steps()).allSatisfy(s -> assertThat(s.fused()).isZero());
        Map<String, Feed> feeds = Map.of("x", Feed.floats(new float[] {1, -2, 3, 0.5f, -1, 0, 2, 2}, 2, 4));
        assertThat(OrtCheck.compare(original, r.model(), feeds).worst()).isZero();
    }

    @Test
    void broadcastingResidualAdd_isNotTurnedIntoSkipLayerNorm() {
        // LayerNorm(x + p) where p is [1, S, H]: a broadcast SkipLayerNormalization must not take.
        GraphBuilder g = new GraphBuilder("broadcast").opset("", 17);
        g.input("x", DataType.FLOAT, "batch", "sequence", 4);
        g.input("p", DataType.FLOAT, 1, "sequence", 4);
        g.initializer(Tensors.floats("gamma", new float[] {1, 1, 1, 1}, 4));
        g.initializer(Tensors.floats("beta", new float[] {0, 0, 0, 0}, 4));
        String sum = g.op("Add", List.of("x", "p"));
        g.node("LayerNormalization", List.of(sum, "gamma", "beta"), List.of("out"), GraphBuilder.attr("axis", -1L));
        g.output("out", DataType.FLOAT, "batch", "sequence", 4);

        TransformerOptimizer.Result r = TransformerOptimizer.optimize(g.build(), FusionOptions.all());

        assertThat(r.report().fused("skip-layer-norm")).isZero();
        assertThat(OnnxGraph.of(r.model()).opCounts()).containsEntry("LayerNormalization", 1);
    }

    private static void assertMatches(ModelProto original, ModelProto rewritten) {
        OrtCheck.Comparison c = OrtCheck.compare(original, rewritten, TinyBert.feeds());
        assertThat(c.maxAbsDiff()).containsKey("last_hidden_state");
        assertThat(c.worst()).isLessThan(TOLERANCE);
    }
}
