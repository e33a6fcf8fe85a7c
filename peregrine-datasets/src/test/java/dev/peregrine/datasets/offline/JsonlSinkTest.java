package dev.peregrine.datasets.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.Task;
import dev.peregrine.datasets.TextRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlSinkTest {

    @TempDir
    Path dir;

    private static final OutputLayout LAYOUT = new OutputLayout(Task.CLASSIFICATION, List.of("a", "b"), "id", false, null);

    @Test
    void resume_keepsCompleteLines_cutsTheLineAKillInterrupted_andAppends() throws Exception {
        Path file = dir.resolve("out.jsonl");
        try (JsonlSink sink = JsonlSink.open(file, LAYOUT, false)) {
            for (int i = 0; i < 3; i++) {
                sink.write(i, new TextRecord(i + 1, "t" + i, null, "id-" + i), new Prediction(new float[] {0.25f, 0.75f}, 3, false));
            }
            sink.finish();
        }
        Files.writeString(file, "{\"index\":3,\"id\":\"id-3\",\"tok", java.nio.file.StandardOpenOption.APPEND);

        try (JsonlSink sink = JsonlSink.open(file, LAYOUT, true)) {
            assertThat(sink.resumedRows()).isEqualTo(3);
            assertThat(sink.lastId()).isEqualTo("id-2");
            sink.write(3, new TextRecord(4, "t3", null, "id-3"), new Prediction(new float[] {0.9f, 0.1f}, 2, false));
            sink.finish();
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(3)).startsWith("{\"index\":3,\"id\":\"id-3\",\"tokens\":2").contains("\"label\":\"a\"");
        assertThat(lines.get(2)).contains("\"label\":\"b\"");
    }

    @Test
    void freshOpen_replacesAnEarlierFile() throws Exception {
        Path file = Files.writeString(dir.resolve("out.jsonl"), "old\nold\n");
        try (JsonlSink sink = JsonlSink.open(file, LAYOUT, false)) {
            assertThat(sink.resumedRows()).isZero();
            sink.finish();
        }
        assertThat(Files.readString(file)).isEmpty();
    }
}
