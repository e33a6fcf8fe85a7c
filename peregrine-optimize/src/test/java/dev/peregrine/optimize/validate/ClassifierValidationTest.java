package dev.peregrine.optimize.validate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.optimize.testing.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classifier agreement and accuracy on two tiny classifiers (mean of a random embedding table, then
 * a linear head over two labels) that differ only in the head's bias.
 */
class ClassifierValidationTest {

    private static final int VOCAB = 30522;
    private static final int WIDTH = 4;

    private static Path classifier(Path dir, float biasShift) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(11);
        float[] table = new float[VOCAB * WIDTH];
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) random.nextGaussian();
        }
        float[] head = {1, -1, 0.5f, -0.5f, 2, 0, 0, 1};
        GraphBuilder g = new GraphBuilder("tiny-classifier");
        g.input("input_ids", DataType.INT64, "batch", "sequence");
        g.input("attention_mask", DataType.INT64, "batch", "sequence");
        g.initializer(Tensors.floats("table", table, VOCAB, WIDTH));
        g.initializer(Tensors.floats("head", head, WIDTH, 2));
        g.initializer(Tensors.floats("bias", new float[] {biasShift, 0}, 2));
        g.initializer(Tensors.longs("seq_axis", new long[] {1}, 1));
        g.initializer(Tensors.longs("last_axis", new long[] {-1}, 1));
        String tokens = g.op("Gather", List.of("table", "input_ids"));
        String mask = g.op("Unsqueeze", List.of(g.op("Cast", List.of("attention_mask"),
                GraphBuilder.attr("to", (long) DataType.FLOAT.getNumber())), "last_axis"));
        String sum = g.op("ReduceSum", List.of(g.op("Mul", List.of(tokens, mask)), "seq_axis"),
                GraphBuilder.attr("keepdims", 0L));
        String count = g.op("ReduceSum", List.of(mask, "seq_axis"), GraphBuilder.attr("keepdims", 0L));
        String logits = g.op("MatMul", List.of(g.op("Div", List.of(sum, count)), "head"));
        g.node("Add", List.of(logits, "bias"), List.of("logits"));
        g.output("logits", DataType.FLOAT, "batch", 2);
        OnnxModel.write(g.opset("", 13).build(), dir.resolve("model.onnx"));
        Files.copy(Models.minilm().tokenizerFile(), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"),
                "{\"model_type\":\"tiny\",\"max_position_embeddings\":512,\"id2label\":{\"0\":\"yes\",\"1\":\"no\"}}");
        return dir;
    }

    @Test
    void shiftedBias_lowersAgreement_andAccuracyIsReportedForBoth(@TempDir Path tmp) throws IOException {
        List<String> texts = Models.fewTexts();
        try (Engine reference = Engine.open(ModelFolder.open(classifier(tmp.resolve("ref"), 0)), EngineOptions.defaults());
             Engine same = Engine.open(ModelFolder.open(classifier(tmp.resolve("same"), 0)), EngineOptions.defaults());
             Engine shifted = Engine.open(ModelFolder.open(classifier(tmp.resolve("shifted"), 50)),
                     EngineOptions.defaults())) {
            // Gold labels: what the reference predicts, so its accuracy is 1.
            float[][] ref = reference.run(reference.encode(texts));
            List<TextRecord> records = new java.util.ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                records.add(TextRecord.labelled(texts.get(i), ref[i][0] > ref[i][1] ? "yes" : "no"));
            }

            ValidationReport identical = Validator.compare(reference, same, records, ValidationOptions.defaults());
            ValidationReport moved = Validator.compare(reference, shifted, records, ValidationOptions.defaults());

            assertThat(identical.passed()).isTrue();
            assertThat(identical.classification().labelAgreement()).isEqualTo(1.0);
            assertThat(identical.classification().maxProbDiff()).isZero();
            assertThat(identical.classification().accuracyDrop()).isZero();
            // A +50 logit on "yes" makes the shifted model answer "yes" to everything.
            long no = records.stream().filter(r -> r.label().equals("no")).count();
            assertThat(no).isPositive();
            assertThat(moved.classification().labelAgreement())
                    .isEqualTo(1 - (double) no / texts.size(), org.assertj.core.data.Offset.offset(1e-12));
            assertThat(moved.classification().referenceAccuracy()).isEqualTo(1.0);
            assertThat(moved.classification().accuracyDrop())
                    .isEqualTo((double) no / texts.size(), org.assertj.core.data.Offset.offset(1e-12));
            assertThat(moved.passed()).isFalse();
            assertThat(moved.failures()).anyMatch(f -> f.startsWith("label agreement"));
        }
    }
}
