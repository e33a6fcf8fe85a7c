package dev.peregrine.core.testing;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

/** Shared test material: a home folder per build, the varied text set, tiny classifiers built in code. */
public final class Fixtures {

    /** Vocabulary size of the BERT uncased tokenizer the tiny classifiers reuse. */
    public static final int VOCAB = 30522;
    /** Width of the tiny classifiers' embedding table. */
    public static final int WIDTH = 4;

    private Fixtures() {
    }

    /** One home per build, so embedded models are extracted once for all test classes. */
    public static PeregrineHome home() {
        return PeregrineHome.at(Path.of("target", "test-home"));
    }

    public static ModelResolver resolver() {
        return new ModelResolver(home());
    }

    /** 62 texts: short and long (under 256 tokens), eleven languages, emoji, typos, odd whitespace. */
    public static List<String> variedTexts() {
        try (InputStream in = Fixtures.class.getResourceAsStream("/texts/varied.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The embedded default model's tokenizer.json, copied to {@code target}. */
    public static void copyTokenizer(Path target) throws IOException {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deterministic weights of the tiny classifier: embedding table, head matrix, head bias. */
    public record TinyWeights(float[] embeddings, float[] head, float[] bias, int classes) {

        public static TinyWeights of(int classes, long seed) {
            Random random = new Random(seed);
            float[] emb = new float[VOCAB * WIDTH];
            for (int i = 0; i < emb.length; i++) {
                emb[i] = (float) random.nextGaussian();
            }
            float[] head = new float[WIDTH * classes];
            for (int i = 0; i < head.length; i++) {
                head[i] = (float) random.nextGaussian();
            }
            float[] bias = new float[classes];
            for (int i = 0; i < classes; i++) {
                bias[i] = (float) (random.nextGaussian() * 0.1);
            }
            return new TinyWeights(emb, head, bias, classes);
        }

        /** The logits the graph should produce for one text's token ids, computed independently. */
        public float[] expectedLogits(long[] ids) {
            double[] mean = new double[WIDTH];
            for (long id : ids) {
                for (int h = 0; h < WIDTH; h++) {
                    mean[h] += embeddings[(int) id * WIDTH + h];
                }
            }
            float[] logits = new float[classes];
            for (int c = 0; c < classes; c++) {
                double acc = bias[c];
                for (int h = 0; h < WIDTH; h++) {
                    acc += mean[h] / ids.length * head[h * classes + c];
                }
                logits[c] = (float) acc;
            }
            return logits;
        }
    }

    /**
     * Writes a tiny text classifier: mean of a random embedding table under the attention mask,
     * then a linear head to {@code logits}. Real tokenizer, real ONNX Runtime; small enough that a
     * test can compute the same logits by hand.
     *
     * @param labels      id2label for config.json; empty writes no labels
     * @param multiLabel  writes problem_type multi_label_classification
     */
    public static Path tinyClassifier(Path dir, TinyWeights w, List<String> labels, boolean multiLabel) throws IOException {
        Files.createDirectories(dir);
        GraphBuilder g = new GraphBuilder("tiny-classifier");
        g.input("input_ids", DataType.INT64, "batch", "sequence");
        g.input("attention_mask", DataType.INT64, "batch", "sequence");
        g.initializer(Tensors.floats("embeddings", w.embeddings(), VOCAB, WIDTH));
        g.initializer(Tensors.floats("head", w.head(), WIDTH, w.classes()));
        g.initializer(Tensors.floats("bias", w.bias(), w.classes()));
        g.initializer(Tensors.longs("axis_seq", new long[] {1}, 1));
        g.initializer(Tensors.longs("axis_last", new long[] {-1}, 1));
        String tokens = g.op("Gather", List.of("embeddings", "input_ids"));
        String maskF = g.op("Cast", List.of("attention_mask"), GraphBuilder.attr("to", (long) DataType.FLOAT.getNumber()));
        String mask3 = g.op("Unsqueeze", List.of(maskF, "axis_last"));
        String masked = g.op("Mul", List.of(tokens, mask3));
        String sum = g.op("ReduceSum", List.of(masked, "axis_seq"), GraphBuilder.attr("keepdims", 0L));
        String count = g.op("ReduceSum", List.of(mask3, "axis_seq"), GraphBuilder.attr("keepdims", 0L));
        String mean = g.op("Div", List.of(sum, count));
        String projected = g.op("MatMul", List.of(mean, "head"));
        g.node("Add", List.of(projected, "bias"), List.of("logits"));
        g.output("logits", DataType.FLOAT, "batch", w.classes());
        OnnxModel.write(g.build(), dir.resolve("model.onnx"));
        copyTokenizer(dir.resolve("tokenizer.json"));

        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("model_type", "tiny");
        config.put("max_position_embeddings", 512);
        if (!labels.isEmpty()) {
            ObjectNode id2label = config.putObject("id2label");
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(Integer.toString(i), labels.get(i));
            }
        }
        if (multiLabel) {
            config.put("problem_type", "multi_label_classification");
        }
        json.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }
}
