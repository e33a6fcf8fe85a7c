package dev.peregrine.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictionLogTest {

    private static final List<String> LABELS = List.of("a", "b");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private DriftMonitor monitor(PredictionLog log) {
        return DriftMonitor.builder("m", Task.CLASSIFICATION, LABELS).warmup(DriftReference.MIN_SAMPLES).windows(10, 10)
                .executor(Runnable::run).predictionLog(log).build();
    }

    @Test
    void textsAreHashedByDefault_andWrittenInClearOnlyWhenAsked() throws Exception {
        Path file = dir.resolve("log.jsonl");
        try (DriftMonitor m = monitor(new PredictionLog(file, 1.0, 1 << 20, 2, false, CLOCK, new Random(1)))) {
            m.observe(Observation.classified(7, false, 1, new float[] {0.2f, 0.8f}), "my secret ticket");
        }
        JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
        assertThat(line.has("text")).isFalse();
        assertThat(line.get("text_sha256").asText()).hasSize(64).isNotEqualTo("my secret ticket");
        assertThat(line.get("label").asText()).isEqualTo("b");
        assertThat(line.get("score").asDouble()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(line.get("time").asText()).isEqualTo("2026-11-22T12:00:00Z");
        assertThat(Files.readString(file)).doesNotContain("secret");

        Path clear = dir.resolve("clear.jsonl");
        try (DriftMonitor m = monitor(new PredictionLog(clear, 1.0, 1 << 20, 2, true, CLOCK, new Random(1)))) {
            m.observe(Observation.classified(7, false, 0, new float[] {0.9f, 0.1f}), "plain text");
        }
        assertThat(Files.readString(clear)).contains("\"text\":\"plain text\"");
    }

    @Test
    void sampling_writesAboutTheGivenShare() throws Exception {
        Path file = dir.resolve("sampled.jsonl");
        try (DriftMonitor m = monitor(new PredictionLog(file, 0.1, 1 << 24, 2, false, CLOCK, new Random(3)))) {
            for (int i = 0; i < 2000; i++) {
                m.observe(Observation.classified(5, false, 0, new float[] {0.5f, 0.5f}), "t" + i);
            }
        }
        assertThat(Files.readAllLines(file).size()).isBetween(150, 250);
    }

    @Test
    void rotation_keepsTheGivenNumberOfOldFiles() throws Exception {
        Path file = dir.resolve("rot.jsonl");
        try (DriftMonitor m = monitor(new PredictionLog(file, 1.0, 2048, 2, false, CLOCK, new Random(1)))) {
            for (int i = 0; i < 200; i++) {
                m.observe(Observation.classified(5, false, 0, new float[] {0.5f, 0.5f}), "text " + i);
            }
        }
        assertThat(dir.resolve("rot.jsonl.1")).exists();
        assertThat(dir.resolve("rot.jsonl.2")).exists();
        assertThat(dir.resolve("rot.jsonl.3")).doesNotExist();
        assertThat(Files.size(dir.resolve("rot.jsonl.1"))).isBetween(2048L, 2048L + 400);
    }
}
