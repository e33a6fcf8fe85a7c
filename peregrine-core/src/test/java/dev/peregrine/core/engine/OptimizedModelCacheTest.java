package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The optimized-graph cache: reused on the next load, same answers, and never the reason a load fails. */
class OptimizedModelCacheTest {

    private static final List<String> TEXTS = List.of("Why was I charged twice this month?",
            "The app crashes when I open settings.", "ok",
            "A much longer text about an invoice that was sent to the wrong address and never arrived at all.");

    private static ModelFolder minilm() {
        return Fixtures.resolver().resolve("all-minilm-l6-v2");
    }

    private static Path freshDir(String name) throws IOException {
        Path dir = Path.of("target", "optimized-cache-test", name).toAbsolutePath();
        OptimizedModelCache.delete(dir);
        Files.createDirectories(dir);
        return dir;
    }

    private static EngineOptions withCache(Path dir) {
        return EngineOptions.builder().intraOpThreads(1).optimizedModelCache(dir).build();
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(OptimizedModelCache.MODEL_FILE))).toList();
        }
    }

    @Test
    void secondLoad_readsTheCachedGraph_andAnswersExactlyAsTheFirst() throws IOException {
        Path dir = freshDir("reuse");
        List<float[]> first;
        ModelInfo firstInfo;
        try (Engine engine = Engine.open(minilm(), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.WRITTEN);
            first = engine.embed(TEXTS);
            firstInfo = engine.info();
        }
        List<Path> written = entries(dir);
        assertThat(written).hasSize(1);
        Path cached = written.get(0).resolve(OptimizedModelCache.MODEL_FILE);
        long modified = Files.getLastModifiedTime(cached).toMillis();

        try (Engine engine = Engine.open(minilm(), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.HIT);
            assertThat(engine.loadReport().sessionNanos()).isPositive();
            assertThat(engine.loadReport().warmUpNanos()).isPositive();
            List<float[]> second = engine.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertThat(second.get(i)).as("text %d", i).containsExactly(first.get(i));
            }
            ModelInfo info = engine.info();
            assertThat(info.onnxFile()).as("the model's own file is reported, not the cached copy")
                    .isEqualTo(firstInfo.onnxFile());
            assertThat(info.graphMetadata()).isEqualTo(firstInfo.graphMetadata());
            assertThat(info.dimension()).isEqualTo(firstInfo.dimension());
            assertThat(info.outputName()).isEqualTo(firstInfo.outputName());
        }
        assertThat(entries(dir)).containsExactlyElementsOf(written);
        assertThat(Files.getLastModifiedTime(cached).toMillis()).as("not rewritten").isEqualTo(modified);
    }

    /** Every architecture fixture (ModernBERT's disabled fusion included) answers the same from its cached graph. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("dev.peregrine.core.engine.ArchitectureFixturesTest#fixtures")
    void everyArchitecture_answersTheSame_fromItsCachedGraph(Path folder) throws IOException {
        Path dir = freshDir("fixture-" + folder.getFileName());
        List<String> texts = List.of("a short text", "a somewhat longer text with more words in it");
        float[][] first;
        try (Engine engine = Engine.open(ModelFolder.open(folder), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.WRITTEN);
            first = engine.forward(engine.encode(texts));
        }
        try (Engine engine = Engine.open(ModelFolder.open(folder), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.HIT);
            float[][] again = engine.forward(engine.encode(texts));
            for (int i = 0; i < texts.size(); i++) {
                assertThat(again[i]).as("text %d", i).containsExactly(first[i]);
            }
        }
    }

    @Test
    void aDamagedEntry_isReplaced_andTheModelStillLoads() throws IOException {
        Path dir = freshDir("damaged");
        try (Engine engine = Engine.open(minilm(), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.WRITTEN);
        }
        Path cached = entries(dir).get(0).resolve(OptimizedModelCache.MODEL_FILE);
        Files.write(cached, new byte[] {1, 2, 3, 4, 5});

        try (Engine engine = Engine.open(minilm(), withCache(dir))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.WRITTEN);
            assertThat(engine.embed(List.of("still works")).get(0)).hasSize(384);
        }
        assertThat(Files.size(cached)).isGreaterThan(1_000_000);
    }

    @Test
    void aChangedModelOrLevel_getsItsOwnEntry() throws IOException {
        Path dir = freshDir("keys");
        Path copy = Path.of("target", "optimized-cache-test", "model-copy").toAbsolutePath();
        OptimizedModelCache.delete(copy);
        Files.createDirectories(copy);
        Path source = minilm().root();
        for (String f : List.of("model.onnx", "tokenizer.json", "config.json")) {
            if (Files.exists(source.resolve(f))) {
                Files.copy(source.resolve(f), copy.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        OptimizedModelCache cache = new OptimizedModelCache(dir);
        String cpu = "x86_64 AVX2";
        String before = cache.key(copy.resolve("model.onnx"), GraphOptimization.ALL, "1.28.0", cpu).orElseThrow();
        assertThat(cache.key(copy.resolve("model.onnx"), GraphOptimization.ALL, "1.28.0", cpu)).contains(before);
        assertThat(cache.key(copy.resolve("model.onnx"), GraphOptimization.EXTENDED, "1.28.0", cpu)).isNotEqualTo(
                java.util.Optional.of(before));
        assertThat(cache.key(copy.resolve("model.onnx"), GraphOptimization.ALL, "1.29.0", cpu)).isNotEqualTo(
                java.util.Optional.of(before));
        assertThat(cache.key(copy.resolve("model.onnx"), GraphOptimization.ALL, "1.28.0", "x86_64 AVX2 + AVX-512F/BW"))
                .isNotEqualTo(java.util.Optional.of(before));

        // Same size, one byte changed (a new modification time): the content hash is taken again.
        byte[] bytes = Files.readAllBytes(copy.resolve("model.onnx"));
        bytes[bytes.length - 1] ^= 1;
        Files.write(copy.resolve("model.onnx"), bytes);
        Files.setLastModifiedTime(copy.resolve("model.onnx"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(cache.key(copy.resolve("model.onnx"), GraphOptimization.ALL, "1.28.0", cpu)).isPresent()
                .isNotEqualTo(java.util.Optional.of(before));
    }

    @Test
    void aCacheThatCannotBeWritten_costsOnlyTheOptimization() throws IOException {
        Path blocker = Path.of("target", "optimized-cache-test", "not-a-folder").toAbsolutePath();
        Files.createDirectories(blocker.getParent());
        Files.writeString(blocker, "a file where the cache folder should be");
        try (Engine engine = Engine.open(minilm(), withCache(blocker.resolve("cache")))) {
            assertThat(engine.loadReport().graphCache()).isEqualTo(Engine.GraphCache.UNAVAILABLE);
            assertThat(engine.embed(List.of("still works")).get(0)).hasSize(384);
        }
    }
}
