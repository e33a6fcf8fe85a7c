package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer loads beside the session: the engine is the same, and either one's failure is reported as before. */
class EngineLoadTest {

    @TempDir
    Path dir;

    private Path model(String name) throws Exception {
        return Fixtures.tinyClassifier(dir.resolve(name), Fixtures.TinyWeights.of(2, 3), List.of("a", "b"), false);
    }

    @Test
    void theTokenizerLoadedAlongside_truncatesToTheConfiguredLength_andItsTimeIsReported() throws Exception {
        Path folder = model("ok");
        String longText = "word ".repeat(100);
        try (Engine engine = Engine.open(ModelFolder.open(folder), EngineOptions.builder().maxLength(16).build())) {
            assertThat(engine.loadReport().tokenizerNanos()).isPositive();
            EncodedText encoded = engine.encode(List.of(longText)).get(0);
            assertThat(encoded.length()).isEqualTo(16);
            assertThat(encoded.truncated()).isTrue();
            assertThat(engine.classify(List.of("charged twice"))).hasSize(1);
        }
    }

    @Test
    void aBrokenTokenizer_isTheModelsError_evenThoughTheSessionLoaded() throws Exception {
        Path folder = model("bad-tokenizer");
        Files.writeString(folder.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        assertThatThrownBy(() -> Engine.open(ModelFolder.open(folder)))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_INVALID))
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void aBrokenGraph_isReported_whileItsTokenizerLoadsAndIsClosed() throws Exception {
        Path folder = model("bad-graph");
        Files.write(folder.resolve("model.onnx"), new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> Engine.open(ModelFolder.open(folder)))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_INVALID))
                .hasMessageContaining("model.onnx");
        // The good tokenizer still loads on its thread, is closed, and the thread ends.
        long until = System.nanoTime() + 30_000_000_000L;
        while (loaderThreads() > 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(loaderThreads()).isZero();
    }

    private static long loaderThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("peregrine-tokenizer-load") && t.isAlive()).count();
    }
}
