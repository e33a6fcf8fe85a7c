package dev.peregrine.optimize.fusion;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the fusions share while rewriting one graph: the graph, the probed shapes of its values,
 * int32 copies of integer inputs (contrib ops want int32 masks and ids), and the tally of what
 * matched and what did not.
 */
final class FusionContext {

    static final String MS_DOMAIN = "com.microsoft";

    final OnnxGraph graph;
    private final Map<String, long[]> shapes;
    private final Map<String, String> int32Copies = new HashMap<>();
    private final Map<String, FusionReport.Step> steps = new LinkedHashMap<>();

    FusionContext(OnnxGraph graph, Map<String, long[]> shapes) {
        this.graph = graph;
        this.shapes = new HashMap<>(shapes);
    }

    /**
     * Makes every reader of {@code oldValue} read {@code newValue} (which computes the same thing) and
     * remembers that the two have the same shape.
     */
    void replace(String oldValue, String newValue) {
        long[] s = shape(oldValue);
        if (s != null) {
            shapes.put(newValue, s);
        }
        graph.replaceUses(oldValue, newValue);
    }

    /** The probed shape of a value, or null when unknown. */
    long[] shape(String value) {
        long[] s = shapes.get(value);
        if (s == null) {
            Optional<TensorProto> c = graph.constant(value);
            if (c.isPresent()) {
                return c.get().getDimsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return s;
    }

    boolean shapesKnown() {
        return !shapes.isEmpty();
    }

    /** An int32 version of an integer value (a Cast added once, or the value itself if already int32). */
    String int32(String value) {
        Optional<ValueInfoProto> info = graph.valueInfo(value);
        if (info.isPresent() && info.get().getType().getTensorType().getElemType() == DataType.INT32.getNumber()) {
            return value;
        }
        return int32Copies.computeIfAbsent(value, v -> {
            String out = graph.uniqueName(v + "_int32");
            graph.addNode("Cast", List.of(v), List.of(out), GraphBuilder.attr("to", (long) DataType.INT32.getNumber()));
            return out;
        });
    }

    /** A new node of the {@code com.microsoft} domain. */
    Node contrib(String opType, List<String> inputs, List<String> outputs, ai.onnx.proto.OnnxMl.AttributeProto... attrs) {
        return graph.addNode(MS_DOMAIN, opType, inputs, outputs, attrs);
    }

    void fused(String fusion) {
        step(fusion).fused++;
    }

    void miss(String fusion, String reason) {
        step(fusion).misses.merge(reason, 1, Integer::sum);
    }

    void touch(String fusion) {
        step(fusion);
    }

    private FusionReport.Step step(String fusion) {
        return steps.computeIfAbsent(fusion, FusionReport.Step::new);
    }

    List<FusionReport.Step> steps() {
        return List.copyOf(steps.values());
    }
}
