package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import dev.peregrine.core.tokenize.EncodedText;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classification path on small classifiers built by the test, with logits computed by hand. */
class ClassificationTest {

    private static final List<String> LABELS = List.of("billing", "technical", "general");

    @TempDir
    Path dir;

    @Test
    void tinyClassifier_givesLabelsFromConfig_andSoftmaxOfTheExpectedLogits() throws Exception {
        TinyWeights w = TinyWeights.of(3, 42);
        Fixtures.tinyClassifier(dir, w, LABELS, false);
        List<String> texts = Fixtures.variedTexts();
        try (Engine engine = Engine.open(ModelFolder.open(dir), EngineOptions.builder().maxBatchSize(8).build())) {
            assertThat(engine.info().task()).isEqualTo(Task.CLASSIFICATION);
            assertThat(engine.info().labels()).isEqualTo(LABELS);
            assertThat(engine.info().dimension()).isEqualTo(3);
            assertThat(engine.info().pooling()).isNull();

            List<Classification> results = engine.classify(texts);
            List<EncodedText> encoded = engine.encode(texts);
            for (int i = 0; i < texts.size(); i++) {
                float[] expected = Vectors.softmaxInPlace(w.expectedLogits(encoded.get(i).ids()));
                Classification c = results.get(i);
                assertThat(c.probabilities()).containsExactly(expected, within(1e-5f));
                int best = argmax(expected);
                assertThat(c.label()).isEqualTo(LABELS.get(best));
                assertThat(c.score()).isCloseTo(expected[best], within(1e-5f));
                double sum = 0;
                for (float p : c.probabilities()) {
                    sum += p;
                }
                assertThat(sum).isCloseTo(1.0, within(1e-5));
            }
        }
    }

    @Test
    void ranked_sortsAllClassesByScore_andTopKCutsThem() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(3, 5), LABELS, false);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            Classification c = engine.classify(List.of("where is my invoice")).get(0);
            List<LabelScore> ranked = c.ranked();
            assertThat(ranked).extracting(LabelScore::label).containsExactlyInAnyOrderElementsOf(LABELS);
            assertThat(ranked.get(0).score()).isGreaterThanOrEqualTo(ranked.get(1).score());
            assertThat(ranked.get(1).score()).isGreaterThanOrEqualTo(ranked.get(2).score());
            assertThat(ranked.get(0).label()).isEqualTo(c.label());
            assertThat(c.top(2)).isEqualTo(ranked.subList(0, 2));
            assertThat(c.top(10)).hasSize(3);
        }
    }

    @Test
    void multiLabelClassifier_usesIndependentSigmoids() throws Exception {
        TinyWeights w = TinyWeights.of(4, 9);
        Fixtures.tinyClassifier(dir, w, List.of("a", "b", "c", "d"), true);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            assertThat(engine.info().multiLabel()).isTrue();
            String text = "refund my order please";
            float[] logits = w.expectedLogits(engine.encode(List.of(text)).get(0).ids());
            float[] probs = engine.classify(List.of(text)).get(0).probabilities();
            for (int i = 0; i < 4; i++) {
                assertThat(probs[i]).isCloseTo((float) (1 / (1 + Math.exp(-logits[i]))), within(1e-5f));
            }
        }
    }

    @Test
    void withoutId2label_labelsAreNumbered() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(2, 1), List.of(), false);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            assertThat(engine.info().labels()).containsExactly("LABEL_0", "LABEL_1");
        }
    }

    @Test
    void labelCountThatDisagreesWithTheGraph_isAModelError() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(3, 1), List.of("only", "two"), false);
        assertThatThrownBy(() -> Engine.open(ModelFolder.open(dir)))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("names 2 labels but the graph outputs 3 logits")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_INVALID));
    }

    @Test
    void embeddingWithAClassifier_isAWrongTaskError() throws Exception {
        Fixtures.tinyClassifier(dir, TinyWeights.of(3, 1), LABELS, false);
        try (Engine engine = Engine.open(ModelFolder.open(dir))) {
            assertThatThrownBy(() -> engine.embed(List.of("x")))
                    .isInstanceOf(PeregrineException.class)
                    .hasMessageContaining("is a classifier and cannot embed");
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
