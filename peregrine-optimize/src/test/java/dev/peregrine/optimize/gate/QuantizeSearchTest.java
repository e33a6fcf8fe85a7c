package dev.peregrine.optimize.gate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.LoadWarnings;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.quantize.Smoothing;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.validate.ValidationOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate and its remedies on a small classifier built so that one product is hopeless in INT8:
 * mean-pooled embeddings go through a first product whose bias gives one hidden channel a value near
 * 1000, so when the second product's input is quantized to uint8 (one scale for the whole tensor)
 * every other channel rounds away, and the second product's answer no longer depends on the text.
 * Only keeping that product in float helps; the search must find it by measurement.
 */
class QuantizeSearchTest {

    private static final int VOCAB = 30522;
    private static final int WIDTH = 16;

    @TempDir
    static Path dir;

    private static ModelFolder model;
    private static List<TextRecord> texts;

    @BeforeAll
    static void build() throws IOException {
        Path root = dir.resolve("outlier-classifier");
        Files.createDirectories(root);
        Random random = new Random(5);
        float[] table = gaussian(random, VOCAB * WIDTH);
        float[] first = gaussian(random, WIDTH * WIDTH);
        float[] firstBias = new float[WIDTH];
        firstBias[0] = 1000;
        float[] second = gaussian(random, WIDTH * 2);
        second[0] = 0;
        second[1] = 0;  // the outlier channel does not feed the logits: only the rounded-away ones do
        GraphBuilder g = new GraphBuilder("outlier-classifier");
        g.input("input_ids", DataType.INT64, "batch", "sequence");
        g.input("attention_mask", DataType.INT64, "batch", "sequence");
        g.initializer(Tensors.floats("table", table, VOCAB, WIDTH));
        g.initializer(Tensors.floats("first", first, WIDTH, WIDTH));
        g.initializer(Tensors.floats("first_bias", firstBias, WIDTH));
        g.initializer(Tensors.floats("second", second, WIDTH, 2));
        g.initializer(Tensors.longs("seq_axis", new long[] {1}, 1));
        g.initializer(Tensors.longs("last_axis", new long[] {-1}, 1));
        String tokens = g.op("Gather", List.of("table", "input_ids"));
        String mask = g.op("Unsqueeze", List.of(g.op("Cast", List.of("attention_mask"),
                GraphBuilder.attr("to", (long) DataType.FLOAT.getNumber())), "last_axis"));
        String sum = g.op("ReduceSum", List.of(g.op("Mul", List.of(tokens, mask)), "seq_axis"),
                GraphBuilder.attr("keepdims", 0L));
        String count = g.op("ReduceSum", List.of(mask, "seq_axis"), GraphBuilder.attr("keepdims", 0L));
        String pooled = g.op("Div", List.of(sum, count));
        String hidden = g.op("Add", List.of(g.op("MatMul", List.of(pooled, "first")), "first_bias"));
        g.node("MatMul", List.of(hidden, "second"), List.of("logits"));
        g.output("logits", DataType.FLOAT, "batch", 2);
        OnnxModel.write(g.opset("", 13).build(), root.resolve("model.onnx"));
        Files.copy(Models.minilm().tokenizerFile(), root.resolve("tokenizer.json"));
        Files.writeString(root.resolve("config.json"),
                "{\"model_type\":\"tiny\",\"max_position_embeddings\":512,\"id2label\":{\"0\":\"yes\",\"1\":\"no\"}}");
        model = ModelFolder.open(root);
        texts = DefaultTexts.validation().stream().map(TextRecord::of).toList();
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static QuantizeSearch.Options options(Set<Remedy> remedies) {
        QuantizeOptions start = QuantizeOptions.recommendedFor(CpuTarget.detect()).withSmoothing(Smoothing.off());
        return new QuantizeSearch.Options(List.of(QuantMode.INT8_DYNAMIC), start, null, List.of(), Set.of(),
                ValidationOptions.defaults(), texts, remedies, false);
    }

    @Test
    void hopelessProduct_isFoundByMeasurement_andKeptInFloat(@TempDir Path out) {
        QuantizeSearch.Result r = QuantizeSearch.run(model, out, options(EnumSet.allOf(Remedy.class)), line -> { });

        assertThat(r.passed()).as(String.join("\n", r.lines())).isTrue();
        assertThat(r.attempts().get(0).passed()).isFalse();
        assertThat(r.attempts()).extracting(QuantizeSearch.Attempt::name).startsWith(QuantizeSearch.FIRST)
                .endsWith(Remedy.KEEP_FLOAT.id());
        // reduce-range comes before keep-float whenever the first attempt had 8-bit weights
        if (!CpuTarget.detect().saturatingInt8()) {
            assertThat(r.attempts()).extracting(QuantizeSearch.Attempt::name).contains(Remedy.REDUCE_RANGE.id());
        }
        String second = r.sensitivity().get(0);
        assertThat(r.sensitivity()).hasSize(2);
        assertThat(r.chosen().options().exclude()).containsExactly(second);
        assertThat(r.metadata()).containsEntry("peregrine.quantization.excluded", second)
                .containsEntry(CpuTarget.METADATA_KEY, CpuTarget.detect().id());
        assertThat(r.metadata().get(LoadWarnings.FIDELITY_KEY)).startsWith("passed: label agreement");
        assertThat(r.metadata().get("peregrine.quantization.remedy")).startsWith("keep-float");
        assertThat(out.resolve(QuantizeSearch.FAILED_NOTE)).doesNotExist();
        assertThat(out.resolve(".candidates")).doesNotExist();
        assertThat(String.join("\n", r.lines())).contains("below the bar: label agreement").contains("(keep-float): passed");
    }

    @Test
    void withNoRemedyThatHelps_theFolderSaysPlainlyThatItFailed(@TempDir Path out) throws IOException {
        QuantizeSearch.Result r = QuantizeSearch.run(model, out, options(EnumSet.of(Remedy.SMOOTHING)), line -> { });

        assertThat(r.passed()).isFalse();
        assertThat(r.attempts()).hasSize(1);
        assertThat(Files.readString(out.resolve(QuantizeSearch.FAILED_NOTE)))
                .startsWith("THIS MODEL FAILED").contains("label agreement").contains("What to do");
        Map<String, String> meta = OnnxModel.metadata(OnnxModel.read(out.resolve("model.onnx")));
        assertThat(meta.get(LoadWarnings.FIDELITY_KEY)).startsWith("FAILED: label agreement");
        try (Engine loaded = Engine.open(ModelFolder.open(out), EngineOptions.defaults())) {
            assertThat(loaded.info().warnings()).singleElement().asString().contains("failed its fidelity check");
        }
        assertThat(String.join("\n", r.lines())).contains("FAILED: no attempt passed");
    }

    @Test
    void staticIsKept_whereItIsAsFastAndAsFaithful() {
        assertThat(QuantizeSearch.prefersStatic(100, 100, 0.004, 0.004)).isTrue();
        assertThat(QuantizeSearch.prefersStatic(96, 100, 0.003, 0.004)).isTrue();   // within one short pass's noise
        assertThat(QuantizeSearch.prefersStatic(90, 100, 0.004, 0.004)).isFalse();  // clearly slower
        assertThat(QuantizeSearch.prefersStatic(120, 100, 0.001, 0.004)).isFalse(); // faster but less faithful
    }

    @Test
    void autoModes_withTimingOff_makeOnlyTheDynamicModel_andSaySo(@TempDir Path out) {
        QuantizeOptions start = QuantizeOptions.recommendedFor(CpuTarget.detect()).withSmoothing(Smoothing.off());
        QuantizeSearch.Result r = QuantizeSearch.run(model, out, new QuantizeSearch.Options(
                List.of(QuantMode.INT8_DYNAMIC, QuantMode.INT8_STATIC), start, null, DefaultTexts.calibration(),
                Set.of(), ValidationOptions.defaults(), texts, Set.of(), false), line -> { });

        assertThat(r.attempts()).extracting(QuantizeSearch.Attempt::mode).containsExactly(QuantMode.INT8_DYNAMIC);
        assertThat(r.modeChoice()).contains("int8-static was not compared (timing is off)");
    }

    @Test
    void remedyLists_parse() {
        assertThat(Remedy.parseList("all")).containsExactlyInAnyOrder(Remedy.values());
        assertThat(Remedy.parseList("none")).isEmpty();
        assertThat(Remedy.parseList("keep-float, reduce-range")).containsExactly(Remedy.REDUCE_RANGE, Remedy.KEEP_FLOAT);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Remedy.parseList("magic"))
                .hasMessageContaining("reduce-range, smoothing, per-channel, keep-float");
    }
}
