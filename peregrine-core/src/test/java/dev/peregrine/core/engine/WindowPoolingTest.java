package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pooling windows' outputs: pure arithmetic, checked on small hand-made rows. */
class WindowPoolingTest {

    private static EncodedText window(int tokens) {
        return new EncodedText(new long[tokens], new long[tokens], false, 0);
    }

    @Test
    void embeddingsAreWeightedByTheTokensOfTheirWindow() {
        List<float[]> rows = List.of(new float[] {2, 0}, new float[] {0, 4});
        List<EncodedText> windows = List.of(window(3), window(1));
        assertThat(WindowPooling.embedding(rows, windows, false)).containsExactly(new float[] {1.5f, 1f}, within(1e-7f));
        // Normalized: each window counts as a unit vector, then the mean is scaled to unit length.
        float[] unit = WindowPooling.embedding(rows, windows, true);
        assertThat(unit).containsExactly(new float[] {(float) (3 / Math.sqrt(10)), (float) (1 / Math.sqrt(10))},
                within(1e-7f));
    }

    @Test
    void oneWindowIsItsOwnAnswer() {
        float[] row = {0.2f, 0.7f, 0.1f};
        assertThat(WindowPooling.probabilities(List.of(row), false)).containsExactly(row);
        assertThat(WindowPooling.embedding(List.of(row), List.of(window(5)), false)).containsExactly(row);
    }

    @Test
    void probabilitiesPoolAsTheMeanOfTheLogits_whateverConstantSoftmaxDropped() {
        float[] a = {1f, 2f, -3f};
        float[] b = {4f, -1f, 0.5f};
        float[] expected = Vectors.softmaxInPlace(new float[] {2.5f, 0.5f, -1.25f});
        float[] pooled = WindowPooling.probabilities(
                List.of(Vectors.softmaxInPlace(a.clone()), Vectors.softmaxInPlace(b.clone())), false);
        assertThat(pooled).containsExactly(expected, within(1e-6f));
    }

    @Test
    void windowsThatAreCertainOfOppositeThings_stillGiveNumbers() {
        float[] sure = {1f, 0f};
        float[] opposite = {0f, 1f};
        assertThat(WindowPooling.probabilities(List.of(sure, opposite), false)).containsExactly(new float[] {0.5f, 0.5f},
                within(1e-6f));
        assertThat(WindowPooling.probabilities(List.of(sure, opposite), true)).doesNotContain(Float.NaN);
        float[] multi = WindowPooling.probabilities(List.of(new float[] {0.9f}, new float[] {0.2f}), true);
        double logit = (Math.log(0.9 / 0.1) + Math.log(0.2 / 0.8)) / 2;
        assertThat(multi[0]).isCloseTo((float) (1 / (1 + Math.exp(-logit))), within(1e-6f));
    }
}
