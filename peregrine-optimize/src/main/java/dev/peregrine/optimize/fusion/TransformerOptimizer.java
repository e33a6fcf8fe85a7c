package dev.peregrine.optimize.fusion;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.check.ShapeProbe;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fuses BERT-family subgraphs into ONNX Runtime's {@code com.microsoft} operators: layer norm,
 * GELU (+bias), attention, residual + layer norm, embeddings + layer norm.
 *
 * <h2>Why it exists</h2>
 * ONNX Runtime fuses layer norm and GELU at session start, but not attention on common exports (its
 * matcher expects the old -10000 mask constant; current exporters write the float minimum) and not
 * residual + layer norm. Fused attention also lets the quantizer run Q/K/V as one {@code QAttention}.
 *
 * <h2>Safety</h2>
 * Every fusion matches a whole pattern or leaves the graph alone, and reports why it passed a
 * candidate over. Shapes that decide whether a pattern is safe come from running the graph once
 * ({@link ShapeProbe}). With {@link FusionOptions#verify()} the rewritten graph is run on the probe
 * input too; if its outputs move by more than {@link #TOLERANCE}, the original graph is returned
 * with a note, never a broken one.
 *
 * <p>Stateless and thread-safe.
 */
public final class TransformerOptimizer {

    /** The largest output change (absolute, relative to outputs of order 1) a fusion may cause. */
    public static final double TOLERANCE = 2e-3;

    private TransformerOptimizer() {
    }

    /** The rewritten model and what happened. */
    public record Result(ModelProto model, FusionReport report) {
        public Result {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(report, "report");
        }
    }

    /**
     * Fuses what matches.
     *
     * @throws dev.peregrine.onnx.OnnxFormatException when ONNX Runtime cannot load the given model
     */
    public static Result optimize(ModelProto model, FusionOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        OnnxGraph graph = OnnxGraph.of(model);
        Map<String, Integer> before = graph.opCounts();
        List<String> notes = new ArrayList<>();
        Map<String, Feed> feeds = ProbeInputs.forGraph(graph);
        Map<String, long[]> shapes;
        try {
            shapes = ShapeProbe.shapes(model, feeds);
        } catch (RuntimeException e) {
            shapes = Map.of();
            notes.add("shapes unknown (" + e.getMessage() + "); fusions that need them were skipped");
        }
        FusionContext ctx = new FusionContext(graph, shapes);
        LayerNormFusion.apply(ctx);
        if (options.gelu() != GeluMode.OFF) {
            GeluFusion.apply(ctx, options.gelu());
        }
        if (options.attention()) {
            AttentionFusion.apply(ctx);
        }
        if (options.embedLayerNorm()) {
            EmbedLayerNormFusion.apply(ctx);
        }
        if (options.skipLayerNorm()) {
            SkipLayerNormFusion.apply(ctx);
        }
        graph.removeDeadNodes();
        ModelProto fused = OnnxModel.withMetadata(graph.toModel(), Map.of());
        double diff = Double.NaN;
        if (options.verify()) {
            try {
                OrtCheck.Comparison c = OrtCheck.compare(model, fused, feeds);
                diff = c.worst();
                double scale = Math.max(1, c.maxAbsValue().values().stream().mapToDouble(Double::doubleValue).max().orElse(1));
                if (!(diff <= TOLERANCE * scale)) {
                    notes.add("rewritten graph's outputs moved by " + diff + " on the probe input; original kept");
                    return new Result(model, new FusionReport(ctx.steps(), before, before, diff, notes));
                }
            } catch (RuntimeException e) {
                notes.add("rewritten graph failed to run (" + e.getMessage() + "); original kept");
                return new Result(model, new FusionReport(ctx.steps(), before, before, Double.NaN, notes));
            }
        }
        return new Result(fused, new FusionReport(ctx.steps(), before, OnnxGraph.of(fused).opCounts(), diff, notes));
    }
}
