package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import dev.peregrine.core.testing.HandWindows;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TextWindows;
import dev.peregrine.core.tokenize.WindowedText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long texts split into windows and pooled, against the same windows worked out by hand (the
 * Hugging Face tokenizer on the whole text, cut by a loop in the test) and run one by one through
 * the engine, or, for the tiny classifier, through logits computed by hand.
 */
class LongTextChunkingTest {

    private static Engine embedder;
    private static Path embedderTokenizer;
    private static String longText;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        embedder = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
        embedderTokenizer = embedder.info().folder().resolve("tokenizer.json");
        longText = HandWindows.longText(embedderTokenizer, 2000);
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    private static EncodedText encoded(long[] ids) {
        return new EncodedText(ids, new long[ids.length], false, 0);
    }

    @Test
    void anEmbeddersWindowsOfA2000TokenText_areTheHandCutWindows_andPoolToTheirTokenWeightedMean() {
        long[] ids = HandWindows.wholeIds(embedderTokenizer, longText);
        assertThat(ids.length).isBetween(2000, 2300);
        List<long[]> hand = HandWindows.split(ids, 256, LongTextOptions.DEFAULT_OVERLAP);

        WindowedText windowed = embedder.encodeWindows(List.of(longText), LongTextOptions.DEFAULTS).get(0);

        assertThat(windowed.tokens()).isEqualTo(ids.length);
        assertThat(windowed.count()).isEqualTo(hand.size()).isEqualTo(TextWindows.count(ids.length, 2, 256, 32))
                .isGreaterThanOrEqualTo(9);
        for (int w = 0; w < hand.size(); w++) {
            assertThat(windowed.windows().get(w).ids()).as("window " + w).containsExactly(hand.get(w));
        }
        // The pipeline: all windows in length-sorted batches, then pooled.
        float[][] rows = embedder.run(windowed.windows());
        float[] pooledUnit = WindowPooling.embedding(Arrays.asList(rows), windowed.windows(), true);
        float[] pooledRaw = WindowPooling.embedding(Arrays.asList(rows), windowed.windows(), false);

        // By hand: each window alone through the engine, weighted by its tokens.
        double[] unit = new double[embedder.info().dimension()];
        double[] raw = new double[unit.length];
        double total = 0;
        for (long[] window : hand) {
            float[] v = embedder.forward(List.of(encoded(window)))[0];
            float[] n = Vectors.normalized(v);
            for (int i = 0; i < unit.length; i++) {
                unit[i] += window.length * (double) n[i];
                raw[i] += window.length * (double) v[i];
            }
            total += window.length;
        }
        float[] expectedUnit = new float[unit.length];
        float[] expectedRaw = new float[unit.length];
        for (int i = 0; i < unit.length; i++) {
            expectedUnit[i] = (float) (unit[i] / total);
            expectedRaw[i] = (float) (raw[i] / total);
        }
        Vectors.normalizeInPlace(expectedUnit);
        assertThat(pooledUnit).containsExactly(expectedUnit, within(1e-5f));
        assertThat(pooledRaw).containsExactly(expectedRaw, within(1e-5f));
        // Not the truncated text's vector: the tail of the text counts.
        float[] truncated = embedder.embed(List.of(longText), true).get(0);
        assertThat(Vectors.cosine(truncated, pooledUnit)).isLessThan(0.999);
    }

    @Test
    void aClassifiersWindows_poolToTheSoftmaxOfTheMeanOfTheirHandComputedLogits() throws Exception {
        TinyWeights w = TinyWeights.of(3, 42);
        Fixtures.tinyClassifier(dir, w, List.of("billing", "technical", "general"), false);
        try (Engine engine = Engine.open(ModelFolder.open(dir), EngineOptions.builder().maxLength(128).build())) {
            long[] ids = HandWindows.wholeIds(dir.resolve("tokenizer.json"), longText);
            List<long[]> hand = HandWindows.split(ids, 128, 32);
            WindowedText windowed = engine.encodeWindows(List.of(longText), LongTextOptions.DEFAULTS).get(0);
            assertThat(windowed.count()).isEqualTo(hand.size()).isGreaterThanOrEqualTo(20);

            float[] pooled = WindowPooling.probabilities(Arrays.asList(engine.run(windowed.windows())), false);

            double[] mean = new double[3];
            for (long[] window : hand) {
                float[] logits = w.expectedLogits(window);
                for (int c = 0; c < 3; c++) {
                    mean[c] += logits[c] / (double) hand.size();
                }
            }
            float[] expected = new float[3];
            for (int c = 0; c < 3; c++) {
                expected[c] = (float) mean[c];
            }
            assertThat(pooled).containsExactly(Vectors.softmaxInPlace(expected), within(1e-5f));
        }
    }

    @Test
    void aMultiLabelClassifiersWindows_poolToTheSigmoidOfTheMeanOfTheirLogits() throws Exception {
        TinyWeights w = TinyWeights.of(4, 7);
        Fixtures.tinyClassifier(dir, w, List.of("a", "b", "c", "d"), true);
        try (Engine engine = Engine.open(ModelFolder.open(dir), EngineOptions.builder().maxLength(200).build())) {
            List<long[]> hand = HandWindows.split(HandWindows.wholeIds(dir.resolve("tokenizer.json"), longText), 200, 32);
            WindowedText windowed = engine.encodeWindows(List.of(longText), LongTextOptions.DEFAULTS).get(0);

            float[] pooled = WindowPooling.probabilities(Arrays.asList(engine.run(windowed.windows())), true);

            float[] expected = new float[4];
            for (long[] window : hand) {
                float[] logits = w.expectedLogits(window);
                for (int c = 0; c < 4; c++) {
                    expected[c] += logits[c] / hand.size();
                }
            }
            assertThat(pooled).containsExactly(Vectors.sigmoidInPlace(expected), within(1e-5f));
        }
    }

    @Test
    void aTextWithinTheLimit_isOneWindow_answeredExactlyAsWithoutChunking() {
        List<String> texts = Fixtures.variedTexts();
        List<WindowedText> windowed = embedder.encodeWindows(texts, LongTextOptions.DEFAULTS);
        List<EncodedText> plain = embedder.encode(texts, false);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(windowed.get(i).count()).isEqualTo(1);
            assertThat(windowed.get(i).windows().get(0).ids()).containsExactly(plain.get(i).ids());
            assertThat(windowed.get(i).tokens()).isEqualTo(plain.get(i).length());
        }
        float[] row = embedder.run(plain.subList(0, 1))[0];
        assertThat(WindowPooling.embedding(List.of(row), windowed.get(0).windows(), true))
                .containsExactly(Vectors.normalized(row));
    }

    @Test
    void robertaFamilyWindows_eachStartWithItsBeginningToken_andEndWithItsEndToken() {
        Path fixture = Path.of("src", "test", "resources", "architectures", "xlm-roberta-classifier-opset17");
        try (Engine engine = Engine.open(ModelFolder.open(fixture))) {
            int max = engine.info().maxLength();
            long[] ids = HandWindows.wholeIds(fixture.resolve("tokenizer.json"), longText);
            assertThat(ids[0]).as("<s>").isZero();
            assertThat(ids[ids.length - 1]).as("</s>").isEqualTo(2);
            WindowedText windowed = engine.encodeWindows(List.of(longText), new LongTextOptions(8, 100_000)).get(0);
            List<long[]> hand = HandWindows.split(ids, max, 8);
            assertThat(windowed.count()).isEqualTo(hand.size()).isGreaterThan(10);
            for (int w = 0; w < hand.size(); w++) {
                long[] window = windowed.windows().get(w).ids();
                assertThat(window).as("window " + w).containsExactly(hand.get(w));
                assertThat(window[0]).isZero();
                assertThat(window[window.length - 1]).isEqualTo(2);
            }
            float[][] rows = engine.run(windowed.windows());
            assertThat(rows.length).isEqualTo(hand.size());
            float[] pooled = WindowPooling.probabilities(Arrays.asList(rows), false);
            assertThat(pooled[0] + pooled[1] + pooled[2]).isCloseTo(1f, within(1e-5f));
        }
    }

    @Test
    void aTextOverTheCharacterLimit_isRefusedBeforeTokenizing_namingItsLengthAndTheLimit() {
        String ok = "support email ".repeat(20_000 / 14);
        String huge = "a b ".repeat(9 * 1024 * 1024 / 4);
        List<String> texts = new ArrayList<>(List.of(ok, "short", huge));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> embedder.encodeWindows(texts, LongTextOptions.DEFAULTS))
                .isInstanceOfSatisfying(InputTooLongException.class, e -> {
                    assertThat(e.index()).isEqualTo(2);
                    assertThat(e.characters()).isEqualTo(huge.length());
                    assertThat(e.charLimit()).isEqualTo(LongTextOptions.DEFAULT_MAX_CHARS);
                    assertThat(e.getMessage()).contains(huge.length() + " characters")
                            .contains("limit of 100000 characters");
                });
        // Refused by its length: nothing of 9 MB was tokenized (that takes over a minute).
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);

        WindowedText email = embedder.encodeWindows(List.of(ok), LongTextOptions.DEFAULTS).get(0);
        assertThat(email.count()).isGreaterThan(1);
        assertThat(email.windows()).allSatisfy(win -> assertThat(win.length()).isLessThanOrEqualTo(256));
    }
}
