package dev.peregrine.optimize.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default model through static INT8 (fusions, calibration on the built-in calibration texts,
 * smoothing, fixed activation ranges), once for the class: a text's vector must not depend on its
 * batch companions, the model must meet the fidelity gate on the validation texts (which calibration
 * never saw), and ONNX Runtime must run it on integer kernels.
 */
class StaticInt8MiniLmTest {

    private static final float TOLERANCE = 1e-5f;
    private static final String TEXT = "The refund for order 55123 never arrived.";
    /** Three batches around TEXT: shorter, longer (more padding) and mixed companions, TEXT at different places. */
    private static final List<List<String>> BATCHES = List.of(
            List.of("Hi", TEXT, "ok"),
            List.of("Das Produkt funktioniert einwandfrei, vielen Dank!",
                    "The committee postponed the vote until more data on the bridge's load capacity is available, "
                            + "and several members asked for an independent review of the engineering reports.",
                    TEXT),
            List.of(TEXT, "注文した商品がまだ届きません。", "amazing!!! 🤩🤩", "404 page not found when clicking \"Forgot password\"",
                    "teh app crashs wen i click on setings", "Where is my package?"));

    @TempDir
    static Path out;

    private static ModelConversion.Outcome outcome;
    private static Path ortOptimized;
    private static Engine reference;
    private static Engine ours;

    @BeforeAll
    static void quantizeOnce() {
        ModelFolder source = Models.minilm();
        outcome = ModelConversion.convert(source, out.resolve("model"), "model", new ModelConversion.Settings(
                FusionOptions.defaults(), QuantMode.INT8_STATIC, QuantizeOptions.recommended(),
                DefaultTexts.calibration(), Set.of()));
        reference = Engine.open(source, EngineOptions.defaults());
        ortOptimized = out.resolve("ort-optimized.onnx");
        ours = Engine.open(ModelFolder.open(out.resolve("model")),
                EngineOptions.defaults().toBuilder().optimizedModelPath(ortOptimized).build());
    }

    @AfterAll
    static void close() {
        ours.close();
        reference.close();
    }

    @Test
    void textAlone_isIdenticalInsideThreeDifferentBatches() {
        float[] alone = ours.forward(ours.encode(List.of(TEXT)))[0];

        for (List<String> batch : BATCHES) {
            float[] inside = ours.forward(ours.encode(batch))[batch.indexOf(TEXT)];
            assertThat(largestDifference(inside, alone)).as("inside %s", batch).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    /** What static INT8 fixes: with activation scales chosen per batch, the same text moves with its batch. */
    @Test
    void dynamicInt8_movesWithItsBatch() {
        try (Engine dynamic = Engine.open(Models.minilmPythonInt8(), EngineOptions.defaults())) {
            float[] alone = dynamic.forward(dynamic.encode(List.of(TEXT)))[0];
            float worst = 0;
            for (List<String> batch : BATCHES) {
                worst = Math.max(worst, largestDifference(dynamic.forward(dynamic.encode(batch))[batch.indexOf(TEXT)],
                        alone));
            }
            assertThat(worst).isGreaterThan(10 * TOLERANCE);
        }
    }

    @Test
    void meetsTheFidelityGate_onTheValidationTexts() {
        List<TextRecord> texts = DefaultTexts.validation().stream().map(TextRecord::of).toList();

        ValidationReport r = Validator.compare(reference, ours, texts, ValidationOptions.defaults());

        assertThat(r.passed()).as(String.join("\n", r.lines())).isTrue();
        assertThat(r.embedding().cosineMean()).as(String.join("\n", r.lines())).isGreaterThanOrEqualTo(0.99);
        assertThat(r.embedding().cosineP1()).as(String.join("\n", r.lines())).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void onnxRuntimeRunsIntegerKernels_withFixedScales() throws Exception {
        // What we wrote: every product reads a QuantizeLinear with constant scale and zero point.
        assertThat(outcome.quantization().mode()).isEqualTo(QuantMode.INT8_STATIC);
        assertThat(outcome.quantization().emitted()).containsEntry("MatMulIntegerToFloat", 18)
                .containsEntry("QAttention", 6).containsEntry("QuantizeLinear", 24)
                .doesNotContainKeys("DynamicQuantizeLinear", "DynamicQuantizeMatMul");
        OnnxGraph written = OnnxGraph.of(OnnxModel.read(outcome.onnxFile()));
        written.nodes().stream().filter(n -> n.is("QuantizeLinear")).forEach(n -> {
            assertThat(written.isConstant(n.input(1))).as("scale of %s", n.name()).isTrue();
            assertThat(written.isConstant(n.input(2))).as("zero point of %s", n.name()).isTrue();
        });

        // What ONNX Runtime runs after its own optimizations: the integer kernels, no float product left.
        Map<String, Integer> ops = OnnxGraph.of(OnnxModel.read(ortOptimized)).opCounts();
        assertThat(ops).containsEntry("com.microsoft:MatMulIntegerToFloat", 18)
                .containsEntry("com.microsoft:QAttention", 6)
                .doesNotContainKeys("MatMul", "Gemm", "com.microsoft:FusedMatMul", "com.microsoft:Attention",
                        "DequantizeLinear", "DynamicQuantizeLinear", "com.microsoft:DynamicQuantizeMatMul");
    }

    @Test
    void metadataSaysStatic() throws Exception {
        Map<String, String> meta = OnnxModel.metadata(OnnxModel.read(outcome.onnxFile()));
        assertThat(meta).containsEntry("peregrine.quantization", "int8-static")
                .containsEntry("peregrine.quantization.attention", "QAttention");
        assertThat(meta.get("peregrine.quantization.activations")).contains("static").contains("80 calibration texts");
    }

    private static float largestDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
