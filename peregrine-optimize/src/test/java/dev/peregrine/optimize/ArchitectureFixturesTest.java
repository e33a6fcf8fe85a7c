package dev.peregrine.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.FusionReport;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.gate.QuantizeSearch;
import dev.peregrine.optimize.gate.Remedy;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import dev.peregrine.optimize.testing.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimizer on every architecture fixture (peregrine-core's src/test/resources/architectures,
 * made by scripts/fixtures/export_architectures.py with real torch.onnx.export): what each fusion
 * matched is pinned per family (docs/architectures.md explains the misses), the fused graph still
 * gives torch's outputs token by token (1e-4), and quantize (dynamic and static INT8) + validate
 * either pass or say which threshold failed; static INT8 answers the same alone and in a batch; the
 * quantize command's search (gate, then remedies) ends passed, or failed with its note written.
 */
class ArchitectureFixturesTest {

    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Subgraphs each fusion replaces, per family and head (2 layers each): attention, skip-layer-norm,
     * gelu, embed-layer-norm. docs/architectures.md says why the zeros are zeros.
     */
    private static final Map<String, int[]> FUSED = Map.of(
            "bert", new int[] {2, 4, 2, 1},
            // torch >= 2.1's SDPA export (emulated): run-time scale from Shape(q), q and k^T each
            // scaled by its square root, HF's 4-D float mask
            "bert-sdpa", new int[] {2, 4, 2, 1},
            "distilbert", new int[] {2, 4, 2, 1},
            // Position ids computed from input_ids (cumsum past the padding index) become the
            // op's position_ids; XLM-R's constant token type row is folded into the position table.
            "xlm-roberta", new int[] {2, 4, 2, 1},
            "mpnet", new int[] {2, 4, 2, 1},
            // RoPE on Q and K: not expressible as com.microsoft.Attention; pre-norm residuals fuse;
            // the embedding LayerNorm has no position lookup at all.
            "modernbert", new int[] {0, 4, 2, 0},
            "modernbert-classifier", new int[] {0, 4, 3, 0});

    static Stream<Path> fixtures() throws IOException {
        Path root = Path.of(System.getProperty("peregrine.architectures", "../peregrine-core/src/test/resources/architectures"));
        try (Stream<Path> s = Files.list(root)) {
            List<Path> folders = s.filter(Files::isDirectory).sorted().toList();
            assertThat(folders).hasSize(24);
            return folders.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fusesWhatItsPatternAllows_staysFaithfulToTorch_andQuantizeSaysWhetherItPasses(Path folder,
                                                                                       @TempDir Path out)
            throws IOException {
        JsonNode expected = JSON.readTree(folder.resolve("expected.json").toFile());
        String family = expected.get("family").asText();
        ModelProto original = OnnxModel.read(folder.resolve("model.onnx"));

        TransformerOptimizer.Result fused = TransformerOptimizer.optimize(original, FusionOptions.all());
        FusionReport report = fused.report();
        System.out.println("== " + folder.getFileName() + " fusions");
        report.lines().forEach(l -> System.out.println("   " + l));
        int[] want = FUSED.getOrDefault(family + "-" + expected.get("task").asText().replace("classification", "classifier"),
                FUSED.get(family));
        assertThat(new int[] {report.fused("attention"), report.fused("skip-layer-norm"), report.fused("gelu"),
                report.fused("embed-layer-norm")}).as("attention, skip-layer-norm, gelu, embed-layer-norm")
                .containsExactly(want);
        assertThat(report.notes()).as("the optimizer kept its rewrite").noneMatch(n -> n.contains("original kept"));
        Map<String, Integer> ops = OnnxGraph.of(fused.model()).opCounts();
        if (want[0] > 0) {
            assertThat(ops).containsEntry("com.microsoft:Attention", want[0]).doesNotContainKey("Softmax");
        }

        // Token by token (or logits), original and fused graph, against torch.
        Map<String, Feed> feeds = feeds(original, expected);
        assertMatchesTorch(OrtCheck.run(original, feeds, OptLevel.NO_OPT), expected, "original");
        assertMatchesTorch(OrtCheck.run(fused.model(), feeds, OptLevel.ALL_OPT), expected, "fused");

        // Both opsets quantize to the same numbers (measured), so each opset covers one half: at 14
        // single conversions (dynamic and static INT8) validated against the float model, at 17 the
        // quantize command's search.
        ModelFolder source = ModelFolder.open(folder);
        List<TextRecord> texts = validationTexts(expected);
        if (expected.get("opset").asInt() == 17) {
            assertQuantizeSearchSaysHowItWent(folder, source, texts, out.resolve("search"));
            return;
        }
        EngineOptions options = EngineOptions.builder().intraOpThreads(1).build();
        try (Engine reference = Engine.open(source, options)) {
            for (QuantMode mode : List.of(QuantMode.INT8_DYNAMIC, QuantMode.INT8_STATIC)) {
                Path dir = out.resolve(mode.id());
                ModelConversion.Outcome q = ModelConversion.convert(source, dir, "model", new ModelConversion.Settings(
                        FusionOptions.defaults(), mode, QuantizeOptions.recommended(), DefaultTexts.calibration(),
                        Set.of()));
                assertThat(q.quantization().convertedCount()).as("%s: matrix products converted", mode).isPositive();
                try (Engine candidate = Engine.open(ModelFolder.open(dir), options)) {
                    ValidationReport v = Validator.compare(reference, candidate, texts, ValidationOptions.defaults());
                    System.out.println("== " + folder.getFileName() + " " + mode + ": " + q.quantization().emitted());
                    v.lines().forEach(l -> System.out.println("   " + l));
                    assertThat(v.failures().isEmpty()).isEqualTo(v.passed());
                    if (!v.passed()) {
                        assertThat(v.failures()).allSatisfy(f -> assertThat(f)
                                .containsAnyOf("cosine", "agreement", "accuracy"));
                    }
                    if (mode == QuantMode.INT8_STATIC) {
                        assertBatchInvariant(candidate, texts);
                    }
                }
            }
        }
    }

    /** What the quantize command does: the fidelity gate, and the remedies in order when it fails. */
    private static void assertQuantizeSearchSaysHowItWent(Path folder, ModelFolder source, List<TextRecord> texts,
                                                         Path searched) {
        QuantizeSearch.Result search = QuantizeSearch.run(source, searched, new QuantizeSearch.Options(
                QuantMode.INT8_DYNAMIC, QuantizeOptions.recommended(), FusionOptions.defaults(),
                DefaultTexts.calibration(), Set.of(), ValidationOptions.defaults(), texts,
                EnumSet.allOf(Remedy.class), false), line -> { });
        System.out.println("== " + folder.getFileName() + " quantize search");
        search.lines().forEach(l -> System.out.println("   " + l));
        assertThat(search.passed()).isEqualTo(search.chosen().passed());
        assertThat(searched.resolve(QuantizeSearch.FAILED_NOTE).toFile().exists()).isEqualTo(!search.passed());
    }

    /** Static INT8's promise: a text's result is the same alone and inside a padded batch (1e-5). */
    private static void assertBatchInvariant(Engine engine, List<TextRecord> records) {
        List<EncodedText> encoded = engine.encode(records.subList(0, 8).stream().map(TextRecord::text).toList());
        float[][] batched = engine.forward(encoded);
        for (int i = 0; i < encoded.size(); i++) {
            float[] alone = engine.forward(List.of(encoded.get(i)))[0];
            for (int j = 0; j < alone.length; j++) {
                assertThat((double) alone[j]).as("static INT8, text %d value %d alone vs in a batch", i, j)
                        .isCloseTo(batched[i][j], within(1e-5));
            }
        }
    }

    /** The fixture's texts, as padded as torch had them, with the family's pad id. */
    private static Map<String, Feed> feeds(ModelProto model, JsonNode expected) {
        JsonNode ids = expected.get("input_ids");
        int rows = ids.size();
        int seq = 0;
        for (JsonNode row : ids) {
            seq = Math.max(seq, row.size());
        }
        long pad = expected.get("pad_token_id").asLong();
        long[] inputIds = new long[rows * seq];
        long[] mask = new long[rows * seq];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < seq; t++) {
                boolean real = t < ids.get(r).size();
                inputIds[r * seq + t] = real ? ids.get(r).get(t).asLong() : pad;
                mask[r * seq + t] = real ? 1 : 0;
            }
        }
        Map<String, Feed> feeds = new LinkedHashMap<>();
        for (String name : OrtCheck.inputNames(model)) {
            feeds.put(name, switch (name) {
                case "input_ids" -> Feed.longs(inputIds, rows, seq);
                case "attention_mask" -> Feed.longs(mask, rows, seq);
                case "token_type_ids" -> Feed.longs(new long[rows * seq], rows, seq);
                default -> throw new AssertionError("unexpected input " + name);
            });
        }
        return feeds;
    }

    private static void assertMatchesTorch(Map<String, float[]> outputs, JsonNode expected, String which) {
        String name = expected.get("output").asText();
        float[] got = outputs.get(name);
        assertThat(got).as("%s output %s", which, name).isNotNull();
        JsonNode ids = expected.get("input_ids");
        JsonNode want = expected.get(name);
        if (name.equals("logits")) {
            int classes = want.get(0).size();
            for (int r = 0; r < want.size(); r++) {
                for (int c = 0; c < classes; c++) {
                    assertThat((double) got[r * classes + c]).as("%s logits[%d][%d]", which, r, c)
                            .isCloseTo(want.get(r).get(c).asDouble(), within(TOLERANCE));
                }
            }
            return;
        }
        int hidden = expected.get("hidden_size").asInt();
        int seq = got.length / (ids.size() * hidden);
        for (int r = 0; r < want.size(); r++) {
            JsonNode row = want.get(r);
            for (int k = 0; k < row.size(); k++) {
                int t = k / hidden;
                int j = k % hidden;
                assertThat((double) got[(r * seq + t) * hidden + j]).as("%s text %d token %d value %d", which, r, t, j)
                        .isCloseTo(row.get(k).asDouble(), within(TOLERANCE));
            }
        }
    }

    /** The fixture's own texts, texts of its vocabulary recombined, and general texts (mostly unknown words). */
    private static List<TextRecord> validationTexts(JsonNode expected) {
        List<String> texts = new ArrayList<>();
        expected.get("texts").forEach(t -> texts.add(t.asText()));
        List<String> words = new ArrayList<>();
        for (String t : List.copyOf(texts)) {
            words.addAll(List.of(t.split(" ")));
        }
        for (int i = 0; i < 40; i++) {
            StringBuilder b = new StringBuilder();
            for (int k = 0; k <= i % 9; k++) {
                b.append(k == 0 ? "" : " ").append(words.get((i * 7 + k * 3) % words.size()));
            }
            texts.add(b.toString());
        }
        texts.addAll(Models.fewTexts());
        return texts.stream().map(TextRecord::of).toList();
    }
}
