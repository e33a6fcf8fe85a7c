package dev.peregrine.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;

/**
 * Common operators added to a graph in the form its opset expects. Several ONNX operators moved an
 * attribute to an input over the years ({@code axes} of ReduceSum and Unsqueeze at opset 13, of
 * ReduceMean/ReduceL2/ReduceMax at 18), and exporters still produce opset 11 graphs, so code that
 * appends nodes to an existing model must write whichever form that model's opset reads.
 */
public final class Ops {

    private final GraphBuilder g;
    private final int opset;

    /**
     * @param g     the graph being extended
     * @param opset the default-domain opset of the model (see {@link #defaultOpset})
     */
    public Ops(GraphBuilder g, int opset) {
        this.g = g;
        this.opset = opset;
    }

    /** The default-domain ("" or "ai.onnx") opset version a model imports. */
    public static int defaultOpset(ai.onnx.proto.OnnxMl.ModelProto model) {
        for (ai.onnx.proto.OnnxMl.OperatorSetIdProto op : model.getOpsetImportList()) {
            if (op.getDomain().isEmpty() || op.getDomain().equals("ai.onnx")) {
                return (int) op.getVersion();
            }
        }
        throw new IllegalArgumentException("the model imports no default-domain opset");
    }

    public int opset() {
        return opset;
    }

    /** ReduceSum over {@code axes}. */
    public String reduceSum(String input, boolean keepDims, long... axes) {
        return reduce("ReduceSum", 13, input, keepDims, axes);
    }

    /** ReduceL2 over {@code axes}. */
    public String reduceL2(String input, boolean keepDims, long... axes) {
        return reduce("ReduceL2", 18, input, keepDims, axes);
    }

    /** ReduceMax over {@code axes}. */
    public String reduceMax(String input, boolean keepDims, long... axes) {
        return reduce("ReduceMax", 18, input, keepDims, axes);
    }

    private String reduce(String op, int axesBecameInputAt, String input, boolean keepDims, long... axes) {
        if (opset >= axesBecameInputAt) {
            return g.op(op, List.of(input, constLongs(op.toLowerCase() + "_axes", axes)),
                    GraphBuilder.attr("keepdims", keepDims ? 1L : 0L));
        }
        return g.op(op, List.of(input), GraphBuilder.attr("axes", axes), GraphBuilder.attr("keepdims", keepDims ? 1L : 0L));
    }

    /** Unsqueeze at {@code axes}. */
    public String unsqueeze(String input, long... axes) {
        if (opset >= 13) {
            return g.op("Unsqueeze", List.of(input, constLongs("unsqueeze_axes", axes)));
        }
        return g.op("Unsqueeze", List.of(input), GraphBuilder.attr("axes", axes));
    }

    /** Cast to {@code type}. */
    public String cast(String input, DataType type) {
        return g.op("Cast", List.of(input), GraphBuilder.attr("to", (long) type.getNumber()));
    }

    /** A float scalar initializer with a fresh name. */
    public String constFloat(String base, float value) {
        String name = g.uniqueName(base);
        g.initializer(Tensors.floats(name, new float[] {value}));
        return name;
    }

    /** An int64 vector initializer with a fresh name. */
    public String constLongs(String base, long... values) {
        String name = g.uniqueName(base);
        g.initializer(Tensors.longs(name, values, values.length));
        return name;
    }

    /** A float tensor initializer with a fresh name. */
    public String constFloats(String base, float[] values, long... dims) {
        String name = g.uniqueName(base);
        g.initializer(Tensors.floats(name, values, dims));
        return name;
    }

    public String binary(String op, String a, String b) {
        return g.op(op, List.of(a, b));
    }
}
