package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.Task;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.Pooling;
import dev.peregrine.core.tokenize.EncodedText;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture fixture (src/test/resources/architectures, made by
 * scripts/fixtures/export_architectures.py with real torch.onnx.export from modules that mirror the
 * Hugging Face modeling code of BERT, DistilBERT, XLM-R, MPNet and ModernBERT) loads as the right
 * task, tokenizes to the ids torch was given, and answers like the torch module: in one padded batch
 * and text by text. Tolerance {@value #TOLERANCE} absolute, on float32 results of order 1.
 */
class ArchitectureFixturesTest {

    static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> fixtures() throws IOException, URISyntaxException {
        Path root = Path.of(Objects.requireNonNull(ArchitectureFixturesTest.class.getResource("/architectures")).toURI());
        List<Path> folders;
        try (Stream<Path> s = Files.list(root)) {
            folders = s.filter(Files::isDirectory).sorted().toList();
        }
        // 5 families and BERT with emulated SDPA attention x (base, classifier) x opsets 14 and 17
        assertThat(folders).hasSize(24);
        return folders.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixture_loadsAsItsTask_andMatchesTorch_batchedAndAlone(Path folder) throws IOException {
        JsonNode expected = JSON.readTree(folder.resolve("expected.json").toFile());
        List<String> texts = new ArrayList<>();
        expected.get("texts").forEach(t -> texts.add(t.asText()));
        boolean classifier = expected.get("task").asText().equals("classification");
        // Mean pooling for embedders, which is what a folder without 1_Pooling gets.
        try (Engine engine = Engine.open(ModelFolder.open(folder),
                EngineOptions.builder().intraOpThreads(1).build())) {
            ModelInfo info = engine.info();
            assertThat(info.task()).isEqualTo(classifier ? Task.CLASSIFICATION : Task.EMBEDDING);
            assertThat(info.maxLength()).as("tokenizer_config.json model_max_length").isEqualTo(64);
            if (classifier) {
                assertThat(info.labels()).containsExactly("negative", "neutral", "positive");
            } else {
                assertThat(info.pooling()).isEqualTo(Pooling.MEAN);
                assertThat(info.dimension()).isEqualTo(expected.get("hidden_size").asInt());
            }

            List<EncodedText> encoded = engine.encode(texts);
            for (int i = 0; i < texts.size(); i++) {
                long[] ids = JSON.convertValue(expected.get("input_ids").get(i), long[].class);
                assertThat(encoded.get(i).ids()).as("token ids of '%s'", texts.get(i)).containsExactly(ids);
            }

            float[][] batched = engine.forward(encoded);  // one pass, padded to the longest text
            for (int i = 0; i < texts.size(); i++) {
                double[] want = classifier ? softmax(doubles(expected.get("logits").get(i)))
                        : meanOverTokens(doubles(expected.get("last_hidden_state").get(i)), encoded.get(i).length());
                float[] alone = engine.forward(List.of(encoded.get(i)))[0];
                assertClose(batched[i], want, "text " + i + " in the padded batch");
                assertClose(alone, want, "text " + i + " alone");
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int j = 0; j < expected.length; j++) {
            assertThat((double) actual[j]).as("%s, value %d", what, j).isCloseTo(expected[j], within(TOLERANCE));
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static double[] meanOverTokens(double[] tokens, int length) {
        int width = tokens.length / length;
        double[] mean = new double[width];
        for (int t = 0; t < length; t++) {
            for (int j = 0; j < width; j++) {
                mean[j] += tokens[t * width + j] / length;
            }
        }
        return mean;
    }

    private static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = Math.exp(logits[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
        return out;
    }
}
