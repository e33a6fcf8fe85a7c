package dev.peregrine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training on the shipped tickets, and the exported classifier against the Java head. */
class TrainTicketsTest {

    /** Measured 0.908 (logistic, seed 42); the floor leaves room for float differences across CPUs. */
    private static final double HELD_OUT_FLOOR = 0.88;

    @TempDir
    Path dir;

    @Test
    void training_isDeterministicForASeed_andBeatsTheFloorOnHeldOutTickets() {
        HeadOptions options = HeadOptions.defaults();
        Trainer.Result a = Trainer.fit(TicketData.ENCODER, TicketData.ENGINE.info(), TicketData.TRAIN_FEATURES, options, 5);
        Trainer.Result b = Trainer.fit(TicketData.ENCODER, TicketData.ENGINE.info(), TicketData.TRAIN_FEATURES, options, 5);
        assertThat(a.head().outW()).containsExactly(b.head().outW());
        assertThat(a.head().outB()).containsExactly(b.head().outB());
        assertThat(a.crossValidation().accuracy()).isEqualTo(b.crossValidation().accuracy());
        assertThat(a.folds()).isEqualTo(5);
        assertThat(a.crossValidation().total()).isEqualTo(TicketData.TRAIN.size());

        ClassificationMetrics heldOut = Trainer.evaluate(a.head(), TicketData.TEST_FEATURES);
        assertThat(heldOut.accuracy()).isGreaterThanOrEqualTo(HELD_OUT_FLOOR);
        assertThat(heldOut.macroF1()).isGreaterThanOrEqualTo(HELD_OUT_FLOOR - 0.02);
        assertThat(a.crossValidation().format()).contains("macro-F1").contains("confusion");

        Trainer.Result other = Trainer.fit(TicketData.ENCODER, TicketData.ENGINE.info(), TicketData.TRAIN_FEATURES,
                options.withSeed(7), 0);
        assertThat(other.head().outW()).isNotEqualTo(a.head().outW());
    }

    @Test
    void exportedClassifier_logitsEqualTheJavaHead_andTheEngineTreatsItAsAClassifier() throws Exception {
        Trainer.Result result = Trainer.fit(TicketData.ENCODER, TicketData.ENGINE.info(), TicketData.TRAIN_FEATURES,
                HeadOptions.defaults(), 0);
        Path out = dir.resolve("tickets");
        Trainer.export(result, out, Map.of());
        assertThat(out.resolve("training.json")).exists();
        assertExportMatchesHead(out, result.head(), TicketData.ENGINE, TicketData.TEST.stream().map(r -> r.text()).limit(64).toList());

        try (Engine classifier = Engine.open(ModelFolder.open(out))) {
            assertThat(classifier.info().task()).isEqualTo(Task.CLASSIFICATION);
            assertThat(classifier.info().labels()).isEqualTo(TicketData.LABELS);
            assertThat(classifier.info().maxLength()).isEqualTo(256);
            assertThat(classifier.info().graphMetadata()).containsEntry("peregrine.head", "logistic");
            List<Classification> out1 = classifier.classify(List.of("I was charged twice for my subscription",
                    "the desktop app crashes when I open a board"));
            assertThat(out1.get(0).label()).isEqualTo("billing");
            assertThat(out1.get(1).label()).isEqualTo("technical");
        }
    }

    @Test
    void mlpHeadOnClsPooledEncoder_exportsExactlyToo() throws Exception {
        ModelFolder bge = Fixtures.resolver().resolve("bge-small-en-v1.5");
        try (Engine encoder = Engine.open(bge)) {
            List<dev.peregrine.datasets.TextRecord> small = TicketData.TRAIN.subList(0, 160);
            List<String> labels = Trainer.checkLabels(small);
            Trainer.Features f = Trainer.features(encoder, small, labels, null);
            Trainer.Result result = Trainer.fit(bge, encoder.info(), f, HeadOptions.defaults(dev.peregrine.train.HeadKind.MLP), 0);
            Path out = dir.resolve("bge-mlp");
            Trainer.export(result, out, Map.of());
            assertExportMatchesHead(out, result.head(), encoder, small.stream().map(r -> r.text()).limit(32).toList());
        }
    }

    /** Runs the exported graph with ONNX Runtime directly and compares its logits with the head's. */
    static void assertExportMatchesHead(Path folder, Head head, Engine encoder, List<String> texts) throws Exception {
        List<float[]> features = encoder.embed(texts);
        List<EncodedText> encoded = encoder.encode(texts);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(folder.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            for (int i = 0; i < texts.size(); i++) {
                long[] ids = encoded.get(i).ids();
                long[] mask = new long[ids.length];
                java.util.Arrays.fill(mask, 1);
                Map<String, OnnxTensor> inputs = new java.util.HashMap<>();
                inputs.put("input_ids", OnnxTensor.createTensor(env, new long[][] {ids}));
                inputs.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {mask}));
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {new long[ids.length]}));
                try (OrtSession.Result r = session.run(inputs)) {
                    float[] onnx = ((float[][]) r.get("logits").orElseThrow().getValue())[0];
                    double[] java = head.logits(features.get(i));
                    for (int c = 0; c < java.length; c++) {
                        assertThat((double) onnx[c]).as("text %d class %d", i, c)
                                .isCloseTo(java[c], org.assertj.core.data.Offset.offset(1e-4));
                    }
                } finally {
                    inputs.values().forEach(OnnxTensor::close);
                }
            }
        }
        assertThat(Files.size(folder.resolve("model.onnx"))).isGreaterThan(1_000_000);
    }
}
