package dev.peregrine.optimize.fusion;

import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.List;

/**
 * The exact (erf) GELU that exporters spell out, {@code 0.5 * x * (1 + erf(x / sqrt(2)))}, into one
 * {@code com.microsoft} op: {@code Gelu(x)} ({@link GeluMode#EXACT}), or {@code BiasGelu(h, b)} when
 * {@code x = h + b} with a constant bias of one value per column ({@link GeluMode#BIAS}). With
 * {@link GeluMode#FAST} it becomes {@code FastGelu} (the tanh approximation, with the bias folded
 * in), which changes results slightly.
 *
 * <p>Why EXACT leaves the bias out: ONNX Runtime's CPU BiasGelu kernel is slow; after INT8 the bias
 * goes into {@code DynamicQuantizeMatMul} instead, and {@code Gelu} after it measured 12-17% more
 * texts/s on all-MiniLM-L6-v2 than {@code DynamicQuantizeMatMul} + {@code BiasGelu}. In float32
 * graphs ONNX Runtime fuses the Add + Gelu into BiasGelu itself at session start.
 *
 * <p>Recognized orders: {@code Mul(Mul(x, 1 + erf), 0.5)} and {@code Mul(Mul(x, 0.5), 1 + erf)} (and
 * their mirror images), with the inner division written as {@code Div(x, 1.4142)} or
 * {@code Mul(x, 0.7071)}.
 */
final class GeluFusion {

    static final String NAME = "gelu";
    private static final double SQRT2 = Math.sqrt(2);

    private GeluFusion() {
    }

    static void apply(FusionContext ctx, GeluMode mode) {
        OnnxGraph g = ctx.graph;
        ctx.touch(NAME);
        for (Node erf : g.nodes()) {
            if (!erf.is("Erf")) {
                continue;
            }
            Node scaleNode = g.producer(erf.input(0));
            if (scaleNode == null) {
                continue;
            }
            String x;
            if (scaleNode.is("Div") && LayerNormFusion.isValue(g, scaleNode.input(1), SQRT2)) {
                x = scaleNode.input(0);
            } else if (scaleNode.is("Mul") && isScaledBy(g, scaleNode, 1 / SQRT2)) {
                x = g.isConstant(scaleNode.input(0)) ? scaleNode.input(1) : scaleNode.input(0);
            } else {
                ctx.miss(NAME, "Erf input is not x / sqrt(2)");
                continue;
            }
            Node plusOne = g.soleConsumer(erf.output());
            if (plusOne == null || !plusOne.is("Add")
                    || !LayerNormFusion.otherScalar(g, plusOne, erf.output()).map(v -> Math.abs(v - 1) < 1e-6).orElse(false)) {
                ctx.miss(NAME, "Erf is not followed by + 1");
                continue;
            }
            Node mul = g.soleConsumer(plusOne.output());
            if (mul == null || !mul.is("Mul")) {
                ctx.miss(NAME, "1 + erf is not multiplied");
                continue;
            }
            String other = LayerNormFusion.otherInput(mul, plusOne.output());
            String out;
            if (other.equals(x)) {
                Node half = g.soleConsumer(mul.output());
                if (half == null || !half.is("Mul") || !isScaledBy(g, half, 0.5)) {
                    ctx.miss(NAME, "x * (1 + erf) is not halved");
                    continue;
                }
                out = half.output();
            } else {
                Node halfX = g.producer(other);
                if (halfX == null || !halfX.is("Mul") || !isScaledBy(g, halfX, 0.5)
                        || !(halfX.input(0).equals(x) || halfX.input(1).equals(x))) {
                    ctx.miss(NAME, "the other factor is neither x nor 0.5 * x");
                    continue;
                }
                out = mul.output();
            }
            String fused = g.uniqueName(out + "_gelu");
            String[] bias = mode == GeluMode.EXACT ? null : biasOf(ctx, x);
            if (mode == GeluMode.FAST) {
                ctx.contrib("FastGelu", bias == null ? List.of(x) : List.of(bias[0], bias[1]), List.of(fused));
            } else if (bias != null) {
                ctx.contrib("BiasGelu", List.of(bias[0], bias[1]), List.of(fused));
            } else {
                ctx.contrib("Gelu", List.of(x), List.of(fused));
            }
            ctx.replace(out, fused);
            ctx.fused(NAME);
        }
        g.removeDeadNodes();
    }

    /** True when a Mul multiplies by the scalar constant {@code factor}. */
    private static boolean isScaledBy(OnnxGraph g, Node mul, double factor) {
        return LayerNormFusion.isValue(g, mul.input(0), factor) || LayerNormFusion.isValue(g, mul.input(1), factor);
    }

    /**
     * When {@code x = Add(h, b)} with {@code b} a 1-D constant as long as the last axis of {@code h},
     * returns {h, b}; otherwise null.
     */
    static String[] biasOf(FusionContext ctx, String x) {
        OnnxGraph g = ctx.graph;
        Node add = g.producer(x);
        if (add == null || !add.is("Add")) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            String b = add.input(i);
            String h = add.input(1 - i);
            long[] bDims = g.constantDims(b);
            if (bDims == null || bDims.length != 1 || g.isConstant(h)) {
                continue;
            }
            long[] hShape = ctx.shape(h);
            if (hShape != null && hShape.length >= 2 && hShape[hShape.length - 1] == bDims[0]) {
                return new String[] {h, b};
            }
        }
        return null;
    }
}
