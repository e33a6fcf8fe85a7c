package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import dev.peregrine.core.tokenize.EncodedText;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-token vectors before pooling, and a classifier's raw logits beside its probabilities. */
class TokenVectorsAndRawScoresTest {

    @TempDir
    Path dir;

    @Test
    void tokenVectors_meanPooled_equalTheEmbedding_andCoverEachTextsOwnTokens() {
        List<String> texts = Fixtures.variedTexts().subList(0, 12);
        try (Engine engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"),
                EngineOptions.builder().maxBatchSize(4).build())) {
            List<EncodedText> encoded = engine.encode(texts);
            List<float[][]> tokens = engine.embedTokens(encoded);
            float[][] pooled = engine.run(encoded);
            assertThat(tokens).hasSize(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                float[][] rows = tokens.get(i);
                assertThat(rows.length).isEqualTo(encoded.get(i).length());
                float[] mean = new float[engine.info().dimension()];
                for (float[] row : rows) {
                    assertThat(row).hasSize(engine.info().dimension());
                    for (int k = 0; k < mean.length; k++) {
                        mean[k] += row[k] / rows.length;
                    }
                }
                assertThat(mean).containsExactly(pooled[i], within(1e-5f));
            }
        }
    }

    @Test
    void tokenVectors_ofAClassifier_areRefusedAsTheWrongTask() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(3, 7), List.of("a", "b", "c"), false);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            assertThatThrownBy(() -> engine.embedTokens(engine.encode(List.of("x"))))
                    .isInstanceOf(PeregrineException.class)
                    .hasMessageContaining("no per-token vectors")
                    .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.WRONG_TASK));
        }
    }

    @Test
    void rawRows_ofAClassifier_areTheLogits_andScoresTurnThemIntoTheProbabilities() throws Exception {
        TinyWeights w = TinyWeights.of(3, 11);
        Fixtures.tinyClassifier(dir, w, List.of("a", "b", "c"), false);
        List<String> texts = Fixtures.variedTexts().subList(0, 8);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            List<EncodedText> encoded = engine.encode(texts);
            float[][] raw = engine.forwardRaw(encoded);
            float[][] probabilities = engine.forward(encoded);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(raw[i]).containsExactly(w.expectedLogits(encoded.get(i).ids()), within(1e-5f));
                assertThat(engine.scores(raw[i])).containsExactly(probabilities[i], within(1e-6f));
            }
        }
    }

    @Test
    void rawRows_ofAMultiLabelClassifier_giveSigmoidScores() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(4, 3), List.of("a", "b", "c", "d"), true);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            List<EncodedText> encoded = engine.encode(List.of("my invoice is wrong"));
            float[] raw = engine.forwardRaw(encoded)[0];
            float[] p = engine.scores(raw);
            for (int k = 0; k < raw.length; k++) {
                assertThat(p[k]).isCloseTo((float) (1 / (1 + Math.exp(-raw[k]))), within(1e-6f));
            }
            assertThat(p).containsExactly(engine.forward(encoded)[0], within(1e-6f));
        }
    }
}
