package dev.peregrine.optimize.fusion;

import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A residual connection followed by layer normalization, {@code LayerNorm(x + skip)}, into
 * {@code com.microsoft.SkipLayerNormalization}; a constant bias added to {@code x} just before
 * ({@code (h + b) + skip}) is folded in as the op's bias input. Both operands of the residual Add
 * must have the same 3-D shape (checked on probed shapes): a broadcasting Add is left alone.
 */
final class SkipLayerNormFusion {

    static final String NAME = "skip-layer-norm";

    private SkipLayerNormFusion() {
    }

    static void apply(FusionContext ctx) {
        OnnxGraph g = ctx.graph;
        ctx.touch(NAME);
        for (Node ln : g.nodes()) {
            if (!ln.is("LayerNormalization") || !ln.domain().isEmpty()) {
                continue;
            }
            Node add = g.parent(ln, 0, "Add");
            if (add == null || g.isConstant(add.input(0)) || g.isConstant(add.input(1))) {
                continue;
            }
            long axis = ln.intAttr("axis", -1);
            long[] a = ctx.shape(add.input(0));
            long[] b = ctx.shape(add.input(1));
            if (a == null || b == null) {
                ctx.miss(NAME, "shapes unknown");
                continue;
            }
            if (!Arrays.equals(a, b) || a.length != 3) {
                ctx.miss(NAME, "residual Add operands are not both [batch, sequence, hidden]");
                continue;
            }
            if (axis != -1 && axis != a.length - 1) {
                ctx.miss(NAME, "LayerNormalization is not over the last axis");
                continue;
            }
            String input = add.input(0);
            String skip = add.input(1);
            String bias = "";
            for (int i = 0; i < 2 && bias.isEmpty(); i++) {
                String[] hb = GeluFusion.biasOf(ctx, add.input(i));
                if (hb != null && g.soleConsumer(add.input(i)) == add
                        && Arrays.equals(ctx.shape(hb[0]), a)) {
                    input = hb[0];
                    bias = hb[1];
                    skip = add.input(1 - i);
                }
            }
            List<String> inputs = new ArrayList<>(List.of(input, skip, ln.input(1)));
            inputs.add(ln.input(2));
            if (!bias.isEmpty()) {
                inputs.add(bias);
            }
            while (inputs.get(inputs.size() - 1).isEmpty()) {
                inputs.remove(inputs.size() - 1);
            }
            String out = g.uniqueName(ln.output() + "_skipln");
            List<String> outputs = new ArrayList<>(List.of(out));
            boolean sumUsedElsewhere = g.isGraphOutput(add.output()) || g.consumers(add.output()).size() > 1;
            String sum = null;
            if (sumUsedElsewhere) {
                sum = g.uniqueName(add.output() + "_sum");
                outputs.addAll(List.of("", "", sum));
            }
            ctx.contrib("SkipLayerNormalization", inputs, outputs,
                    GraphBuilder.attr("epsilon", ln.floatAttr("epsilon", 1e-5f)));
            ctx.replace(ln.output(), out);
            if (sum != null) {
                ctx.replace(add.output(), sum);
            }
            ctx.fused(NAME);
        }
        g.removeDeadNodes();
    }
}
