package dev.peregrine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds small ONNX graphs in code: inputs, outputs, initializers and nodes, with unique names.
 * Used by tests to make models with known behaviour, and by the trainer to append a head to an
 * encoder. Not thread-safe.
 *
 * <pre>{@code
 * GraphBuilder g = new GraphBuilder("tiny");
 * g.input("x", TensorProto.DataType.FLOAT, "batch", 4);
 * g.initializer(Tensors.floats("w", weights, 4, 3));
 * g.node("MatMul", List.of("x", "w"), List.of("y"));
 * g.output("y", TensorProto.DataType.FLOAT, "batch", 3);
 * ModelProto model = g.build();
 * }</pre>
 */
public final class GraphBuilder {

    /** The default-domain opset of built graphs unless set otherwise; ONNX Runtime 1.16+ runs it. */
    public static final int DEFAULT_OPSET = 17;
    /** IR version matching opset 17. */
    public static final long IR_VERSION = 8;

    private final String name;
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Integer> opsets = new LinkedHashMap<>();
    private final Map<String, Integer> nameCounters = new LinkedHashMap<>();
    private final java.util.Set<String> usedNames = new java.util.HashSet<>();
    private String producer = "peregrine";

    public GraphBuilder(String name) {
        this.name = Objects.requireNonNull(name, "name");
        graph.setName(name);
        opsets.put("", DEFAULT_OPSET);
    }

    /** Starts from an existing graph (to append nodes); keeps its opsets and producer. */
    public static GraphBuilder from(ModelProto model) {
        GraphBuilder b = new GraphBuilder(model.getGraph().getName());
        b.graph.mergeFrom(model.getGraph());
        b.opsets.clear();
        for (OperatorSetIdProto op : model.getOpsetImportList()) {
            b.opsets.put(op.getDomain(), (int) op.getVersion());
        }
        b.producer = model.getProducerName();
        GraphProto graph = model.getGraph();
        graph.getInputList().forEach(v -> b.usedNames.add(v.getName()));
        graph.getOutputList().forEach(v -> b.usedNames.add(v.getName()));
        graph.getInitializerList().forEach(t -> b.usedNames.add(t.getName()));
        for (NodeProto n : graph.getNodeList()) {
            b.usedNames.add(n.getName());
            b.usedNames.addAll(n.getOutputList());
        }
        return b;
    }

    /** Sets the opset version of a domain ({@code ""} for the ONNX default, {@code com.microsoft} for contrib ops). */
    public GraphBuilder opset(String domain, int version) {
        opsets.put(domain, version);
        return this;
    }

    /**
     * Declares a graph input. Each dim is a {@link String} (symbolic, such as {@code "batch"}) or a
     * number (fixed).
     */
    public GraphBuilder input(String inputName, TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(inputName, type, dims));
        return this;
    }

    /** Declares a graph output; dims as for {@link #input}. */
    public GraphBuilder output(String outputName, TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(outputName, type, dims));
        return this;
    }

    public GraphBuilder initializer(TensorProto tensor) {
        graph.addInitializer(tensor);
        return this;
    }

    /** Adds a default-domain node and returns its first output's name. */
    public String node(String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        return node("", opType, inputs, outputs, attributes);
    }

    /** Adds a node with one fresh output and returns that output's name. */
    public String op(String opType, List<String> inputs, AttributeProto... attributes) {
        String out = uniqueName(opType.toLowerCase(java.util.Locale.ROOT) + "_out");
        return node(opType, inputs, List.of(out), attributes);
    }

    /** Adds a node in {@code domain} and returns its first output's name. */
    public String node(String domain, String opType, List<String> inputs, List<String> outputs,
                       AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(uniqueName(opType))
                .addAllInput(inputs).addAllOutput(outputs);
        if (!domain.isEmpty()) {
            n.setDomain(domain);
            opsets.putIfAbsent(domain, 1);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return outputs.isEmpty() ? null : outputs.get(0);
    }

    /** Adds a prebuilt node as is. */
    public GraphBuilder node(NodeProto node) {
        graph.addNode(node);
        if (!node.getDomain().isEmpty()) {
            opsets.putIfAbsent(node.getDomain(), 1);
        }
        return this;
    }

    /** A name not used before in this builder (nor in the graph it started from), derived from {@code base}. */
    public String uniqueName(String base) {
        while (true) {
            int n = nameCounters.merge(base, 1, Integer::sum);
            String candidate = n == 1 ? base : base + "_" + n;
            if (usedNames.add(candidate)) {
                return candidate;
            }
        }
    }

    public GraphBuilder producer(String producerName) {
        this.producer = producerName;
        return this;
    }

    /** The graph being built (live; callers may adjust it). */
    public GraphProto.Builder graph() {
        return graph;
    }

    public ModelProto build() {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName(producer)
                .setGraph(graph.build());
        opsets.forEach((domain, version) ->
                m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
        return m.build();
    }

    @Override
    public String toString() {
        return "GraphBuilder[" + name + ", " + graph.getNodeCount() + " nodes]";
    }

    // ---------------------------------------------------------------------------------------------
    // Attributes and value infos

    public static AttributeProto attr(String attrName, long value) {
        return AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto attr(String attrName, float value) {
        return AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    public static AttributeProto attr(String attrName, String value) {
        return AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    public static AttributeProto attr(String attrName, long[] values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return b.build();
    }

    public static AttributeProto attr(String attrName, TensorProto value) {
        return AttributeProto.newBuilder().setName(attrName).setType(AttributeProto.AttributeType.TENSOR).setT(value).build();
    }

    /** A tensor value info; each dim is a {@link String} (symbolic) or a number (fixed). */
    public static ValueInfoProto valueInfo(String valueName, TensorProto.DataType type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                dim.setDimParam(s);
            } else if (d instanceof Number n) {
                dim.setDimValue(n.longValue());
            } else {
                throw new IllegalArgumentException("dim must be a String or a Number, was " + d);
            }
            shape.addDim(dim);
        }
        TypeProto.Tensor tensor = TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape).build();
        return ValueInfoProto.newBuilder().setName(valueName).setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }
}
