package dev.peregrine.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a student as a model folder: the teacher's ONNX graph with the dropped layers' nodes
 * removed (each dropped layer's readers rewired to the value that entered it) and the trained
 * weights in place of the kept initializers, beside the teacher's tokenizer and config files
 * ({@code num_hidden_layers} updated). The result is an ordinary model: fusions, INT8 and
 * {@code validate} take it as they take the teacher.
 */
public final class StudentWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StudentWriter() {
    }

    /**
     * The teacher's graph cut down to {@code keep} with {@code weights} written in.
     *
     * @param keep    kept layer indices, ascending
     * @param weights initializer name -> values (same shapes as the teacher's)
     */
    public static ModelProto graph(ModelProto teacher, String output, int heads, List<Integer> keep,
                                   Map<String, float[]> weights, Map<String, String> metadata) {
        OnnxGraph g = OnnxGraph.of(teacher);
        EncoderLayout layout = EncoderLayout.read(g, output, heads);
        int n = layout.layers().size();
        List<String> outs = new ArrayList<>();
        for (EncoderLayout.Layer l : layout.layers()) {
            String out = l.output();
            if (g.isGraphOutput(out)) {
                // Keep the graph output's name on an Identity, so rewiring never renames it.
                String inner = g.uniqueName(out + "_layer");
                Node producer = g.producer(out);
                producer.setOutput(producer.outputs().indexOf(out), inner);
                for (Node c : List.copyOf(g.consumers(out))) {
                    c.replaceInput(out, inner);
                }
                g.addNode("Identity", List.of(inner), List.of(out));
                out = inner;
            }
            outs.add(out);
        }
        for (int i = n - 1; i >= 0; i--) {
            if (!keep.contains(i)) {
                String in = i == 0 ? layout.embeddingNorm().output() : outs.get(i - 1);
                g.replaceUses(outs.get(i), in);
            }
        }
        g.removeDeadNodes();
        for (Map.Entry<String, float[]> w : weights.entrySet()) {
            TensorProto old = g.initializers().get(w.getKey());
            if (old == null) {
                continue;  // a dropped layer's weight
            }
            if (Tensors.elementCount(old) != w.getValue().length) {
                throw new IllegalArgumentException(w.getKey() + ": " + w.getValue().length + " values for "
                        + Tensors.elementCount(old));
            }
            g.replaceInitializer(w.getKey(), Tensors.floats(w.getKey(), w.getValue(), Tensors.dims(old)));
        }
        g.topologicalSort();
        return OnnxModel.withMetadata(g.toModel(), metadata);
    }

    /**
     * Writes the student folder.
     *
     * @param teacher the teacher's folder (tokenizer and config are copied from it)
     */
    public static void write(ModelFolder teacher, ModelProto student, int layers, Path out) {
        try {
            ModelFiles.copySupportFiles(teacher.root(), out);
            Files.createDirectories(out);
            OnnxModel.write(student, out.resolve("model.onnx"));
            Path config = out.resolve("config.json");
            ObjectNode node = Files.isRegularFile(config) ? (ObjectNode) JSON.readTree(config.toFile())
                    : JSON.createObjectNode();
            node.put("num_hidden_layers", layers);
            node.remove("_peregrine_source");  // an embedded model's marker: the student is a folder of its own
            JSON.writeValue(config.toFile(), node);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write the student to " + out + ": " + e.getMessage(), e);
        }
    }
}
