package dev.peregrine.optimize.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.check.ShapeProbe;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.fusion.ProbeInputs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Converts a float32 graph to float16 arithmetic for GPUs, keeping float32 graph inputs and outputs
 * (a Cast at each end) so callers feed and read the same tensors as before. Float initializers and
 * float {@code Constant}s become float16, {@code Cast(to=float)} becomes {@code Cast(to=float16)}.
 * Ops in the keep-float set run in float32 between Casts. Value types come from one probe run.
 *
 * <p>On CPU, ONNX Runtime has few float16 kernels and converts around the rest, so such a model is
 * slower there than the float32 original: this is a GPU format.
 */
public final class Float16Converter {

    private static final int FLOAT = DataType.FLOAT.getNumber();
    private static final int FLOAT16 = DataType.FLOAT16.getNumber();
    private static final float HALF_MAX = 65504f;

    /** Ops that stay in float32 by default: none of a BERT graph's need to. */
    public static final Set<String> DEFAULT_KEEP_FLOAT = Set.of();

    private Float16Converter() {
    }

    public record Result(ModelProto model, QuantizeReport report) {
    }

    /**
     * @param keepFloat op types to leave in float32 (with Casts around them)
     * @throws IllegalStateException when the float graph cannot be probed for its value types
     */
    public static Result convert(ModelProto model, Set<String> keepFloat) {
        Objects.requireNonNull(model, "model");
        OnnxGraph g = OnnxGraph.of(model);
        Map<String, Feed> feeds = ProbeInputs.forGraph(g);
        Map<String, ShapeProbe.Facts> facts = ShapeProbe.probe(model, feeds);
        Map<String, Integer> converted = new TreeMap<>();
        Map<String, Integer> emitted = new TreeMap<>();

        // 1. Initializers used only by nodes that will run in float16.
        Map<String, String> halfInitializers = new HashMap<>();
        for (Map.Entry<String, TensorProto> e : new ArrayList<>(g.initializers().entrySet())) {
            TensorProto t = e.getValue();
            if (t.getDataType() != FLOAT || g.isGraphInput(e.getKey())) {
                continue;
            }
            boolean floatReader = g.consumers(e.getKey()).stream().anyMatch(n -> keepFloat.contains(n.opType()));
            String half = toHalf(g, e.getKey(), t, floatReader);
            halfInitializers.put(e.getKey(), half);
            converted.merge("initializer", 1, Integer::sum);
        }
        for (Node n : g.nodes()) {
            if (keepFloat.contains(n.opType())) {
                continue;
            }
            for (int i = 0; i < n.inputCount(); i++) {
                String half = halfInitializers.get(n.input(i));
                if (half != null && !half.equals(n.input(i))) {
                    n.setInput(i, half);
                }
            }
        }

        // 2. Nodes: constants, casts, and float islands.
        for (Node n : g.nodes()) {
            if (n.is("Constant") && n.hasAttribute("value") && n.attribute("value").getT().getDataType() == FLOAT) {
                TensorProto v = n.attribute("value").getT();
                n.setAttribute(GraphBuilder.attr("value", halfTensor(v.getName(), v)));
                converted.merge("Constant", 1, Integer::sum);
            } else if (n.is("Constant") && n.hasAttribute("value_float")) {
                float f = n.attribute("value_float").getF();
                n.setAttribute(GraphBuilder.attr("value", halfTensor("v", Tensors.scalar("v", f))));
                converted.merge("Constant", 1, Integer::sum);
            } else if (n.is("ConstantOfShape") && n.hasAttribute("value")
                    && n.attribute("value").getT().getDataType() == FLOAT) {
                TensorProto v = n.attribute("value").getT();
                n.setAttribute(GraphBuilder.attr("value", halfTensor(v.getName(), v)));
            } else if (n.is("Cast") && n.intAttr("to", 0) == FLOAT) {
                n.setAttribute(GraphBuilder.attr("to", (long) FLOAT16));
                converted.merge("Cast", 1, Integer::sum);
            } else if (keepFloat.contains(n.opType())) {
                for (int i = 0; i < n.inputCount(); i++) {
                    if (isFloat(facts, n.input(i)) && !g.isConstant(n.input(i))) {
                        String cast = g.uniqueName(n.input(i) + "_to_float");
                        g.addNode("Cast", List.of(n.input(i)), List.of(cast), GraphBuilder.attr("to", (long) FLOAT));
                        n.setInput(i, cast);
                        emitted.merge("Cast", 1, Integer::sum);
                    }
                }
                for (int o = 0; o < n.outputs().size(); o++) {
                    String out = n.output(o);
                    if (isFloat(facts, out)) {
                        String inner = g.uniqueName(out + "_float");
                        n.setOutput(o, inner);
                        g.addNode("Cast", List.of(inner), List.of(out), GraphBuilder.attr("to", (long) FLOAT16));
                        emitted.merge("Cast", 1, Integer::sum);
                    }
                }
            }
        }

        // 3. Float32 at the edges.
        List<ValueInfoProto> inputs = g.inputs();
        for (ValueInfoProto in : inputs) {
            if (in.getType().getTensorType().getElemType() == FLOAT && !g.initializers().containsKey(in.getName())) {
                String half = g.uniqueName(in.getName() + "_fp16");
                for (Node c : g.consumers(in.getName())) {
                    c.replaceInput(in.getName(), half);
                }
                g.addNode("Cast", List.of(in.getName()), List.of(half), GraphBuilder.attr("to", (long) FLOAT16));
                emitted.merge("Cast", 1, Integer::sum);
            }
        }
        for (ValueInfoProto out : g.outputs()) {
            if (out.getType().getTensorType().getElemType() == FLOAT) {
                Node producer = g.producer(out.getName());
                if (producer == null) {
                    continue;
                }
                String half = g.uniqueName(out.getName() + "_fp16");
                for (int o = 0; o < producer.outputs().size(); o++) {
                    if (producer.output(o).equals(out.getName())) {
                        producer.setOutput(o, half);
                    }
                }
                for (Node c : g.consumers(out.getName())) {
                    c.replaceInput(out.getName(), half);
                }
                g.addNode("Cast", List.of(half), List.of(out.getName()), GraphBuilder.attr("to", (long) FLOAT));
                emitted.merge("Cast", 1, Integer::sum);
            }
        }
        g.removeDeadNodes();
        ModelProto result = dropIntermediateTypes(g.toModel());
        OrtCheck.load(result);
        return new Result(result, new QuantizeReport(QuantMode.FP16, converted, emitted, Map.of(), List.of(),
                Int8Quantizer.bytes(model), Int8Quantizer.bytes(result), Map.of()));
    }

    private static boolean isFloat(Map<String, ShapeProbe.Facts> facts, String value) {
        ShapeProbe.Facts f = facts.get(value);
        return f != null && f.elementType() == FLOAT;
    }

    /** Replaces a float initializer by its float16 copy; keeps the float one too when float ops read it. */
    private static String toHalf(OnnxGraph g, String name, TensorProto t, boolean keepFloatCopy) {
        TensorProto half = halfTensor(name, t);
        if (keepFloatCopy) {
            return g.addInitializer(name + "_fp16", half);
        }
        g.replaceInitializer(name, half);
        return name;
    }

    /**
     * A float16 copy; finite values beyond float16's range are clamped to +-65504 rather than made
     * infinite, since exporters use the float minimum as "minus infinity" in masks and
     * {@code 0 * -inf} would turn unmasked positions into NaN.
     */
    static TensorProto halfTensor(String name, TensorProto t) {
        float[] f = Tensors.toFloats(t);
        short[] h = new short[f.length];
        for (int i = 0; i < f.length; i++) {
            float v = Float.isFinite(f[i]) ? Math.max(-HALF_MAX, Math.min(HALF_MAX, f[i])) : f[i];
            h[i] = toHalfBits(v);
        }
        return Tensors.halves(name, h, Tensors.dims(t));
    }

    /** Intermediate value_info entries carried float types that no longer hold. */
    private static ModelProto dropIntermediateTypes(ModelProto m) {
        return m.toBuilder().setGraph(m.getGraph().toBuilder().clearValueInfo()).build();
    }

    /**
     * IEEE 754 binary16 bits of {@code value}, rounded to nearest even; overflow gives infinity,
     * tiny values become subnormals or zero (Java 17 has no Float.floatToFloat16).
     */
    static short toHalfBits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            int half = m >> shift;
            int rest = m & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }
}
