package dev.peregrine.optimize.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default model through the whole INT8 path (fusions, calibration, smoothing, QAttention),
 * once for the class, judged on the validation texts against float32 and against the int8 model
 * ONNX Runtime's Python quantizer made. Quantized for the CPU the test runs on ({@code --target-cpu auto}),
 * so it holds on AVX2, AVX-512 and VNNI machines alike; an AVX2-target model is checked here too.
 */
class QuantizeMiniLmTest {

    @TempDir
    static Path out;

    private static ModelConversion.Outcome outcome;
    private static Engine reference;
    private static Engine ours;
    private static List<TextRecord> texts;
    /** Our model against float32 on the validation texts: judged once, read by two tests (each run is 529 texts twice). */
    private static ValidationReport mine;

    private static synchronized ValidationReport mine() {
        if (mine == null) {
            mine = Validator.compare(reference, ours, texts, ValidationOptions.defaults());
        }
        return mine;
    }

    @BeforeAll
    static void quantizeOnce() {
        ModelFolder source = Models.minilm();
        outcome = ModelConversion.convert(source, out, "model", new ModelConversion.Settings(FusionOptions.defaults(),
                QuantMode.INT8_DYNAMIC, QuantizeOptions.recommendedFor(CpuTarget.detect()), DefaultTexts.calibration(),
                Set.of()));
        reference = Engine.open(source, EngineOptions.defaults());
        ours = Engine.open(ModelFolder.open(out), EngineOptions.defaults());
        texts = DefaultTexts.validation().stream().map(TextRecord::of).toList();
    }

    @AfterAll
    static void close() {
        ours.close();
        reference.close();
    }

    @Test
    void everyAttentionAndProductIsQuantized() {
        assertThat(outcome.fusions().fused("attention")).isEqualTo(6);
        assertThat(outcome.fusions().fused("skip-layer-norm")).isEqualTo(12);
        assertThat(outcome.quantization().emitted()).containsEntry("QAttention", 6)
                .containsEntry("DynamicQuantizeMatMul", 18);
        assertThat(outcome.quantization().smoothed()).hasSize(12);
    }

    @Test
    void folderIsComplete_andMetadataSaysWhatWasDone() throws Exception {
        assertThat(out.resolve("tokenizer.json")).exists();
        assertThat(out.resolve("modules.json")).exists();
        assertThat(out.resolve("1_Pooling/config.json")).exists();
        Map<String, String> meta = OnnxModel.metadata(OnnxModel.read(out.resolve("model.onnx")));
        assertThat(meta).containsEntry("peregrine.quantization", "int8-dynamic")
                .containsEntry(CpuTarget.METADATA_KEY, CpuTarget.detect().id())
                .containsEntry("peregrine.quantization.weight_range", CpuTarget.detect().saturatingInt8() ? "reduced" : "full")
                .containsEntry("peregrine.quantization.attention", "QAttention")
                .containsKeys("peregrine.fusions", "peregrine.quantization.smoothing", "peregrine.source",
                        "peregrine.quantized_on", "peregrine.quantization.formats");
        assertThat(ours.info().graphMetadata()).containsEntry("peregrine.quantization", "int8-dynamic");
        assertThat(Files.size(out.resolve("model.onnx"))).isLessThan(Files.size(Models.minilm().onnxFile()));
    }

    @Test
    void staysWithinTheFidelityBar() {
        ValidationReport r = mine();

        assertThat(r.passed()).as(String.join("\n", r.lines())).isTrue();
        assertThat(r.embedding().cosineMean()).isGreaterThanOrEqualTo(0.99);
        assertThat(r.embedding().cosineMin()).isGreaterThan(0.95);
    }

    @Test
    void isAtLeastAsFaithfulAsThePythonQuantizedModel() {
        ValidationReport mine = mine();
        ValidationReport python;
        try (Engine q = Engine.open(Models.minilmPythonInt8(), EngineOptions.defaults())) {
            python = Validator.compare(reference, q, texts, ValidationOptions.defaults());
        }

        assertThat(mine.embedding().cosineMean()).isGreaterThanOrEqualTo(python.embedding().cosineMean());
        assertThat(mine.embedding().cosineP1()).isGreaterThanOrEqualTo(python.embedding().cosineP1());
        assertThat(mine.embedding().neighbourOverlap()).isGreaterThanOrEqualTo(python.embedding().neighbourOverlap());
    }

    @Test
    void avx2Target_hasSevenBitWeights_andPassesTheGateHereToo(@TempDir Path avx2) throws Exception {
        ModelConversion.convert(Models.minilm(), avx2, "model", new ModelConversion.Settings(FusionOptions.defaults(),
                QuantMode.INT8_DYNAMIC, QuantizeOptions.recommendedFor(CpuTarget.AVX2), DefaultTexts.calibration(),
                Set.of()));
        ModelProto written = OnnxModel.read(avx2.resolve("model.onnx"));
        int largest = 0;
        for (TensorProto t : written.getGraph().getInitializerList()) {
            if (t.getDataType() == TensorProto.DataType.INT8_VALUE) {
                for (byte b : t.getRawData().toByteArray()) {
                    largest = Math.max(largest, Math.abs(b));
                }
            }
        }
        assertThat(largest).isEqualTo(63);
        assertThat(OnnxModel.metadata(written)).containsEntry(CpuTarget.METADATA_KEY, "avx2")
                .containsEntry("peregrine.quantization.weight_range", "reduced");

        ValidationReport r;
        try (Engine seven = Engine.open(ModelFolder.open(avx2), EngineOptions.defaults())) {
            r = Validator.compare(reference, seven, texts, ValidationOptions.defaults());
        }
        assertThat(r.passed()).as(String.join("\n", r.lines())).isTrue();
    }
}
