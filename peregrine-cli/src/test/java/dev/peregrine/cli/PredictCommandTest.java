package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void textsAsArguments_giveOneJsonLineEach_equalToTheEngine() throws IOException {
        CliRun run = CliRun.of("predict", "Why was I charged twice?", "The app crashes on start.");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<JsonNode> lines = parse(run.outLines());
        assertThat(lines).hasSize(2);
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(null))) {
            List<float[]> expected = engine.embed(List.of("Why was I charged twice?", "The app crashes on start."));
            for (int i = 0; i < 2; i++) {
                JsonNode line = lines.get(i);
                assertThat(line.get("index").asInt()).isEqualTo(i);
                assertThat(line.get("truncated").asBoolean()).isFalse();
                float[] v = floats(line.get("embedding"));
                assertThat(v).hasSize(384);
                assertThat(Vectors.cosine(v, expected.get(i))).isGreaterThan(0.999999);
            }
        }
    }

    @Test
    void jsonlFile_withColumnAndIds_writesToOutputFile() throws IOException {
        Path in = Files.writeString(dir.resolve("in.jsonl"), """
                {"ticket": "A-1", "body": "refund my last invoice"}
                {"ticket": "A-2", "body": "password reset link is broken"}
                {"ticket": "A-3", "body": "great product"}
                """);
        Path out = dir.resolve("out/predictions.jsonl");
        CliRun run = CliRun.of("predict", "-i", in.toString(), "--column", "body", "--id-column", "ticket",
                "-o", out.toString(), "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        List<JsonNode> lines = parse(Files.readAllLines(out));
        assertThat(lines).extracting(n -> n.get("id").asText()).containsExactly("A-1", "A-2", "A-3");
        assertThat(lines).allSatisfy(n -> assertThat(n.get("embedding")).hasSize(384));
    }

    @Test
    void fileOfTheValidationTexts_toANonTerminal_reportsProgressInPeriodicLinesPerBatch() throws IOException {
        List<String> lines = new ArrayList<>();
        for (dev.peregrine.datasets.TextRecord r : dev.peregrine.datasets.Datasets.validation()) {
            lines.add(JSON.writeValueAsString(java.util.Map.of("text", r.text())));
        }
        assertThat(lines).hasSize(529);
        Path in = Files.write(dir.resolve("validation.jsonl"), lines);
        CliRun run = CliRun.of("predict", "-i", in.toString(), "-o", dir.resolve("out.jsonl").toString(),
                "--max-length", "32");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> progress = run.err().lines().filter(l -> l.startsWith("predict: ")).toList();
        assertThat(progress).as(run.err()).hasSizeGreaterThan(3).doesNotHaveDuplicates();
        assertThat(progress.get(0)).matches("predict: \\d+/529 texts \\(\\d+%\\), [0-9.]+ texts/s, .* left");
        assertThat(progress.get(progress.size() - 1)).matches("predict: 529 texts in .*, [0-9.]+ texts/s");
        assertThat(run.err()).doesNotContain("\r").endsWith(System.lineSeparator());
    }

    @Test
    void largeTextFile_isStreamedInChunks_keepingOrder() throws IOException {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            texts.add("message number " + i + (i % 7 == 0 ? " with a somewhat longer tail to vary lengths" : ""));
        }
        Path in = Files.write(dir.resolve("in.txt"), texts);
        Path out = dir.resolve("out.jsonl");
        CliRun run = CliRun.of("predict", "-i", in.toString(), "-o", out.toString(), "--max-length", "8");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).as("progress bar on stderr").contains("predict").contains("2500");
        List<JsonNode> lines = parse(Files.readAllLines(out));
        assertThat(lines).hasSize(2500);
        assertThat(lines.get(2499).get("index").asInt()).isEqualTo(2499);
        assertThat(lines.get(7).get("truncated").asBoolean()).isTrue();
        assertThat(lines.get(7).get("tokens").asInt()).isEqualTo(8);
    }

    @Test
    void classifier_writesLabelsFromConfig_rankedScores_andTopK() throws IOException {
        Path model = Fixtures.tinyClassifier(dir.resolve("clf"), TinyWeights.of(3, 11),
                List.of("billing", "technical", "general"), false);
        CliRun run = CliRun.of("predict", "-m", model.toString(), "--top-k", "2", "refund please", "it crashed");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<JsonNode> lines = parse(run.outLines());
        for (JsonNode line : lines) {
            assertThat(line.get("label").asText()).isIn("billing", "technical", "general");
            JsonNode scores = line.get("scores");
            assertThat(scores).hasSize(2);
            assertThat(scores.get(0).get("label").asText()).isEqualTo(line.get("label").asText());
            assertThat(scores.get(0).get("score").asDouble()).isCloseTo(line.get("score").asDouble(), within(1e-9));
            assertThat(scores.get(0).get("score").asDouble()).isGreaterThanOrEqualTo(scores.get(1).get("score").asDouble());
        }
        assertThat(CliRun.of("predict", "-m", model.toString(), "--task", "embed", "x").exitCode()).isEqualTo(3);
    }

    @Test
    void noNormalize_givesRawMeanPooledVectors() {
        CliRun run = CliRun.of("predict", "--no-normalize", "hello there");
        assertThat(run.exitCode()).isZero();
        float[] v = floats(parse(run.outLines()).get(0).get("embedding"));
        double norm = Math.sqrt(Vectors.cosine(v, v) * dot(v, v));
        assertThat(norm).isNotCloseTo(1.0, within(0.05));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static List<JsonNode> parse(List<String> lines) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : lines) {
            try {
                out.add(JSON.readTree(line));
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) array.get(i).asDouble();
        }
        return v;
    }
}
