package dev.peregrine.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.TensorSpec;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.Pooling;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Ops;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained head and its encoder as one self-contained classification model folder: the
 * encoder's ONNX graph with pooling (under the attention mask), L2 normalization (when the features
 * were normalized) and the head appended, ending in a {@code logits} output; the encoder's
 * tokenizer; and a config.json with {@code id2label}. The engine, the server, {@code quantize} and
 * {@code validate} then treat it as any other classifier.
 *
 * <p>The appended nodes compute exactly what the engine computes in Java for the features the head
 * was trained on, in the operator forms of the encoder's opset.
 */
public final class ClassifierExporter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ClassifierExporter() {
    }

    /**
     * @param encoder    the encoder's folder
     * @param info       the encoder engine's description (output used, pooling, normalization)
     * @param normalized whether the head was trained on L2-normalized features
     * @param head       the trained head
     * @param labels     class names in the head's output order
     * @param metadata   facts recorded in the ONNX metadata (how it was trained)
     * @param out        the folder to write (created; existing files replaced)
     */
    public static void export(ModelFolder encoder, ModelInfo info, boolean normalized, Head head, List<String> labels,
                              Map<String, String> metadata, Path out) throws IOException {
        if (labels.size() != head.classes()) {
            throw new IllegalArgumentException(labels.size() + " labels for a head with " + head.classes() + " classes");
        }
        encoder.requireOutputElsewhere(out);
        ModelProto model = OnnxModel.read(encoder.onnxFile());
        GraphBuilder g = GraphBuilder.from(model);
        Ops ops = new Ops(g, Ops.defaultOpset(model));
        String features = features(g, ops, info, encoder);
        if (normalized) {
            String norm = ops.reduceL2(features, true, 1);
            String safe = ops.binary("Max", norm, ops.constFloat("norm_floor", 1e-12f));
            features = ops.binary("Div", features, safe);
        }
        String logits = head(g, ops, head, features);
        g.graph().clearOutput();
        g.node("Identity", List.of(logits), List.of("logits"));
        g.output("logits", DataType.FLOAT, "batch", (long) head.classes());
        g.producer("peregrine-train");
        ModelProto exported = OnnxModel.withMetadata(g.build(), metadata);

        Files.createDirectories(out);
        OnnxModel.write(exported, out.resolve("model.onnx"));
        Files.copy(encoder.tokenizerFile(), out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        for (String optional : List.of("tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json")) {
            Path source = encoder.root().resolve(optional);
            if (Files.isRegularFile(source)) {
                Files.copy(source, out.resolve(optional), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        writeConfig(encoder, info, labels, out);
    }

    /** The feature vector node: the graph's sentence embedding, or its token embeddings pooled. */
    private static String features(GraphBuilder g, Ops ops, ModelInfo info, ModelFolder encoder) {
        String output = info.outputName();
        TensorSpec spec = info.outputs().stream().filter(t -> t.name().equals(output)).findFirst().orElseThrow();
        if (spec.shape().length == 2) {
            return output;
        }
        boolean hasMask = info.inputs().stream().anyMatch(t -> t.name().equals("attention_mask"));
        if (!hasMask) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, encoder.onnxFile()
                    + " has no attention_mask input; pooling cannot be exported without it");
        }
        Pooling pooling = info.pooling();
        String mask = ops.unsqueeze(ops.cast("attention_mask", DataType.FLOAT), 2);
        return switch (pooling) {
            case MEAN, MEAN_SQRT_LEN -> {
                String sum = ops.reduceSum(ops.binary("Mul", output, mask), false, 1);
                String count = ops.reduceSum(mask, false, 1);
                String safe = ops.binary("Max", count, ops.constFloat("count_floor", 1e-9f));
                yield pooling == Pooling.MEAN
                        ? ops.binary("Div", sum, safe)
                        : ops.binary("Div", sum, g.op("Sqrt", List.of(safe)));
            }
            case CLS -> {
                String first = g.op("Gather", List.of(output, ops.constLongs("cls_index", 0L)), GraphBuilder.attr("axis", 1L));
                yield ops.opset() >= 13
                        ? g.op("Squeeze", List.of(first, ops.constLongs("squeeze_axes", 1L)))
                        : g.op("Squeeze", List.of(first), GraphBuilder.attr("axes", new long[] {1}));
            }
            case MAX -> {
                // Padding positions get -1e9 so they never win the maximum.
                String penalty = ops.binary("Mul", ops.binary("Sub", mask, ops.constFloat("one", 1f)),
                        ops.constFloat("big", 1e9f));
                yield ops.reduceMax(ops.binary("Add", output, penalty), false, 1);
            }
            case LAST_TOKEN -> throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    "last-token pooling cannot be exported into a classifier yet; choose --pooling mean or cls");
        };
    }

    private static String head(GraphBuilder g, Ops ops, Head head, String features) {
        String x = features;
        int width = head.inputSize();
        if (head.hiddenW() != null) {
            String w1 = ops.constFloats("head_hidden_weight", head.hiddenW(), width, head.hiddenSize());
            String b1 = ops.constFloats("head_hidden_bias", head.hiddenB(), head.hiddenSize());
            x = g.op("Relu", List.of(ops.binary("Add", ops.binary("MatMul", x, w1), b1)));
            width = head.hiddenSize();
        }
        String w = ops.constFloats("head_weight", head.outW(), width, head.classes());
        String b = ops.constFloats("head_bias", head.outB(), head.classes());
        return ops.binary("Add", ops.binary("MatMul", x, w), b);
    }

    private static void writeConfig(ModelFolder encoder, ModelInfo info, List<String> labels, Path out) throws IOException {
        Path source = encoder.root().resolve("config.json");
        ObjectNode config = Files.isRegularFile(source)
                ? (ObjectNode) JSON.readTree(source.toFile())
                : JSON.createObjectNode();
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        config.put("problem_type", "single_label_classification");
        config.put("_peregrine_encoder", info.name());
        if (!config.has("max_position_embeddings")) {
            config.put("max_position_embeddings", info.maxLength());
        }
        config.remove("_peregrine_source");
        JSON.writeValue(out.resolve("config.json").toFile(), config);
    }
}
