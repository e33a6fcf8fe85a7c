package dev.peregrine.optimize.fusion;

import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.graph.Constants;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decomposed layer normalization, as opset-11 exporters write it, into one {@code LayerNormalization}:
 *
 * <pre>
 *   m = ReduceMean(x, axes=[-1]);  d = Sub(x, m)
 *   v = ReduceMean(Pow(d, 2), axes=[-1]);  y = Div(d, Sqrt(Add(v, eps)))
 *   out = Add(Mul(y, gamma), beta)
 * </pre>
 *
 * ONNX Runtime fuses this itself at session start; Peregrine does it first because the skip and
 * embedding fusions start from a {@code LayerNormalization}. The op is written in the default
 * domain, where ONNX Runtime accepts it at any opset (as its own fusion does).
 */
final class LayerNormFusion {

    static final String NAME = "layer-norm";

    private LayerNormFusion() {
    }

    static void apply(FusionContext ctx) {
        OnnxGraph g = ctx.graph;
        ctx.touch(NAME);
        for (Node div : g.nodes()) {
            if (!div.is("Div") || !div.domain().isEmpty()) {
                continue;
            }
            Node sub = g.parent(div, 0, "Sub");
            Node sqrt = g.parent(div, 1, "Sqrt");
            if (sub == null || sqrt == null) {
                continue;
            }
            Node mean = g.parent(sub, 1, "ReduceMean");
            if (mean == null || !mean.input(0).equals(sub.input(0)) || !lastAxis(ctx, mean)) {
                continue;
            }
            String x = sub.input(0);
            List<Node> varPath = g.parentPath(sqrt, new String[] {"Add", "ReduceMean", "Pow"}, new int[] {0, 0, 0});
            if (varPath == null) {
                // epsilon may be the first operand of the Add
                varPath = g.parentPath(sqrt, new String[] {"Add", "ReduceMean", "Pow"}, new int[] {0, 1, 0});
                if (varPath == null) {
                    ctx.miss(NAME, "variance path is not Add(ReduceMean(Pow(x - mean, 2)), eps)");
                    continue;
                }
            }
            Node epsAdd = varPath.get(0);
            Node varMean = varPath.get(1);
            Node pow = varPath.get(2);
            if (!pow.input(0).equals(sub.output()) || !isValue(g, pow.input(1), 2.0) || !lastAxis(ctx, varMean)) {
                ctx.miss(NAME, "variance is not the mean square of x - mean over the last axis");
                continue;
            }
            Optional<Double> eps = otherScalar(g, epsAdd, varMean.output());
            if (eps.isEmpty()) {
                ctx.miss(NAME, "epsilon is not a constant");
                continue;
            }
            Node mul = g.soleConsumer(div.output());
            if (mul == null || !mul.is("Mul")) {
                ctx.miss(NAME, "normalized value is not scaled by a single Mul");
                continue;
            }
            String gamma = otherInput(mul, div.output());
            long[] gammaDims = g.constantDims(gamma);
            if (gammaDims == null || gammaDims.length != 1) {
                ctx.miss(NAME, "scale is not a 1-D constant");
                continue;
            }
            String beta = "";
            String out = mul.output();
            Node add = g.soleConsumer(mul.output());
            if (add != null && add.is("Add")) {
                String b = otherInput(add, mul.output());
                long[] betaDims = g.constantDims(b);
                if (betaDims != null && betaDims.length == 1 && betaDims[0] == gammaDims[0]) {
                    beta = b;
                    out = add.output();
                }
            }
            long[] xShape = ctx.shape(x);
            if (xShape != null && xShape[xShape.length - 1] != gammaDims[0]) {
                ctx.miss(NAME, "scale length differs from the normalized axis");
                continue;
            }
            List<String> inputs = new ArrayList<>(List.of(x, gamma));
            if (!beta.isEmpty()) {
                inputs.add(beta);
            }
            String fusedOut = g.uniqueName(out + "_ln");
            g.addNode("LayerNormalization", inputs, List.of(fusedOut),
                    GraphBuilder.attr("axis", -1L), GraphBuilder.attr("epsilon", (float) (double) eps.get()));
            ctx.replace(out, fusedOut);
            ctx.fused(NAME);
        }
        g.removeDeadNodes();
    }

    /** True when a ReduceMean reduces only the last axis (attribute or, from opset 18, input). */
    static boolean lastAxis(FusionContext ctx, Node reduce) {
        OnnxGraph g = ctx.graph;
        long[] axes = reduce.intsAttr("axes");
        if (axes == null && !reduce.input(1).isEmpty()) {
            axes = g.constant(reduce.input(1)).map(t -> {
                double[] d = Constants.asDoubles(t);
                long[] l = new long[d.length];
                for (int i = 0; i < d.length; i++) {
                    l[i] = (long) d[i];
                }
                return l;
            }).orElse(null);
        }
        if (axes == null || axes.length != 1) {
            return false;
        }
        if (axes[0] == -1) {
            return true;
        }
        long[] shape = ctx.shape(reduce.input(0));
        return shape != null && axes[0] == shape.length - 1;
    }

    static boolean isValue(OnnxGraph g, String value, double expected) {
        return g.scalar(value).map(v -> Constants.near(v, expected, 1e-4)).orElse(false);
    }

    /** The scalar constant among a binary node's inputs other than {@code known}. */
    static Optional<Double> otherScalar(OnnxGraph g, Node binary, String known) {
        return g.scalar(otherInput(binary, known));
    }

    /** The input of a two-input node that is not {@code known} (the second if both are). */
    static String otherInput(Node binary, String known) {
        return binary.input(0).equals(known) ? binary.input(1) : binary.input(0);
    }
}
