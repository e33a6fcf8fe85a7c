package dev.peregrine.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph's nodes after the encoder's last layer (pooling, normalization, a classification head:
 * what {@code peregrine train} appends, or a Hugging Face pooler and classifier) run eagerly on
 * PyTorch, so gradients reach the head's weights. A small set of operators, the ones such tails
 * use; any other is refused by name when the model is loaded.
 */
final class TailProgram {

    private static final java.util.Set<String> SUPPORTED = java.util.Set.of("Identity", "Cast", "Unsqueeze",
            "Squeeze", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sqrt", "ReduceSum", "ReduceMean", "ReduceMax",
            "ReduceL2", "MatMul", "Gemm", "Relu", "Tanh", "Sigmoid", "Gather", "Softmax", "Constant", "Erf", "Pow");

    private final List<Node> nodes;
    private final OnnxGraph graph;
    private final Map<String, NDArray> params;
    private final String output;
    private final String lastName;

    /** @param lastName the last layer's output value, which the tail reads */
    TailProgram(List<Node> nodes, OnnxGraph graph, Map<String, NDArray> params, String lastName) {
        this.nodes = List.copyOf(nodes);
        this.graph = graph;
        this.params = params;
        this.lastName = lastName;
        for (Node n : nodes) {
            if (!n.domain().isEmpty() || !SUPPORTED.contains(n.opType())) {
                throw EncoderLayout.unsupported("the node '" + n.name() + "' (" + n.opType()
                        + ") after the last layer is not one the PyTorch forward runs");
            }
        }
        this.output = nodes.isEmpty() ? null : nodes.get(nodes.size() - 1).output();
    }

    /**
     * @param last   the last layer's output
     * @param inputs graph inputs the tail may read (the attention mask)
     * @return the graph output's value, or {@code last} when nothing follows the last layer
     */
    NDArray run(NDArray last, Map<String, NDArray> inputs) {
        if (nodes.isEmpty()) {
            return last;
        }
        Map<String, NDArray> env = new HashMap<>(inputs);
        env.put(lastName, last);
        for (Node n : nodes) {
            if (n.is("Constant")) {
                env.put(n.output(), constant(n.output(), last));
                continue;
            }
            env.put(n.output(), apply(n, env, last));
        }
        return env.get(output);
    }

    private NDArray value(String name, Map<String, NDArray> env, NDArray like) {
        NDArray v = env.get(name);
        if (v == null) {
            v = params.get(name);
        }
        if (v == null) {
            v = constant(name, like);
        }
        return v;
    }

    private NDArray constant(String name, NDArray like) {
        TensorProto t = graph.constant(name).orElseThrow(() ->
                EncoderLayout.unsupported("the value '" + name + "' after the last layer is not a constant"));
        return TorchModel.toArray(like.getManager(), t);
    }

    private long[] longs(String name) {
        return Tensors.toLongs(graph.constant(name).orElseThrow(() ->
                EncoderLayout.unsupported("'" + name + "' must be a constant")));
    }

    private NDArray apply(Node n, Map<String, NDArray> env, NDArray like) {
        NDArray a = value(n.input(0), env, like);
        switch (n.opType()) {
            case "Identity":
                return a;
            case "Cast": {
                long to = n.intAttr("to", TensorProto.DataType.FLOAT_VALUE);
                return a.toType(to == TensorProto.DataType.INT64_VALUE ? DataType.INT64
                        : to == TensorProto.DataType.INT32_VALUE ? DataType.INT32 : DataType.FLOAT32, false);
            }
            case "Unsqueeze": {
                long[] axes = n.inputCount() > 1 ? longs(n.input(1)) : n.intsAttr("axes");
                NDArray r = a;
                for (long axis : axes) {
                    r = r.expandDims((int) axis);
                }
                return r;
            }
            case "Squeeze": {
                long[] axes = n.inputCount() > 1 ? longs(n.input(1)) : n.intsAttr("axes");
                int[] ints = new int[axes.length];
                for (int i = 0; i < axes.length; i++) {
                    ints[i] = (int) axes[i];
                }
                return a.squeeze(ints);
            }
            case "Add":
                return a.add(value(n.input(1), env, like));
            case "Sub":
                return a.sub(value(n.input(1), env, like));
            case "Mul":
                return a.mul(value(n.input(1), env, like));
            case "Div":
                return a.div(value(n.input(1), env, like));
            case "Max":
                return a.maximum(value(n.input(1), env, like));
            case "Min":
                return a.minimum(value(n.input(1), env, like));
            case "Pow":
                return a.pow(value(n.input(1), env, like));
            case "Sqrt":
                return a.sqrt();
            case "Erf":
                return a.erf();
            case "Relu":
                return Activation.relu(a);
            case "Tanh":
                return a.tanh();
            case "Sigmoid":
                return Activation.sigmoid(a);
            case "Softmax":
                return a.softmax((int) n.intAttr("axis", -1));
            case "MatMul":
                return a.matMul(value(n.input(1), env, like));
            case "Gemm": {
                NDArray b = value(n.input(1), env, like);
                if (n.intAttr("transA", 0) != 0) {
                    a = a.transpose();
                }
                if (n.intAttr("transB", 0) != 0) {
                    b = b.transpose();
                }
                NDArray r = a.matMul(b).mul(n.floatAttr("alpha", 1f));
                if (n.inputCount() > 2 && !n.input(2).isEmpty()) {
                    r = r.add(value(n.input(2), env, like).mul(n.floatAttr("beta", 1f)));
                }
                return r;
            }
            case "Gather": {
                int axis = (int) n.intAttr("axis", 0);
                long[] idx = longs(n.input(1));
                long[] dims = Tensors.dims(graph.constant(n.input(1)).orElseThrow());
                if (axis < 0) {
                    axis += a.getShape().dimension();
                }
                String before = ":, ".repeat(axis);
                if (dims.length == 0) {
                    return a.get(before + idx[0]);
                }
                ai.djl.ndarray.NDList picked = new ai.djl.ndarray.NDList();
                for (long i : idx) {
                    picked.add(a.get(before + i + ":" + (i + 1)));
                }
                return ai.djl.ndarray.NDArrays.concat(picked, axis);
            }
            case "ReduceSum":
            case "ReduceMean":
            case "ReduceMax":
            case "ReduceL2": {
                long[] axes = n.inputCount() > 1 && !n.input(1).isEmpty() ? longs(n.input(1)) : n.intsAttr("axes");
                int[] ints = new int[axes.length];
                for (int i = 0; i < axes.length; i++) {
                    ints[i] = (int) (axes[i] < 0 ? axes[i] + a.getShape().dimension() : axes[i]);
                }
                boolean keep = n.intAttr("keepdims", 1) != 0;
                return switch (n.opType()) {
                    case "ReduceSum" -> a.sum(ints, keep);
                    case "ReduceMean" -> a.mean(ints, keep);
                    case "ReduceMax" -> a.max(ints, keep);
                    default -> a.square().sum(ints, keep).sqrt();
                };
            }
            default:
                throw EncoderLayout.unsupported("operator " + n.opType());
        }
    }
}
