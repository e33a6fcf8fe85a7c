package dev.peregrine.optimize.validate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The statistics, on vectors whose answers are known. */
class ValidatorTest {

    @Test
    void identicalVectors_agreeCompletely() {
        float[][] v = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};

        ValidationReport.EmbeddingAgreement a = Validator.embeddings(v, v, 2);

        assertThat(a.cosineMin()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(a.neighbourOverlap()).isEqualTo(1.0);
        assertThat(a.neighbours()).isEqualTo(2);
    }

    @Test
    void oneRotatedVector_lowersMinAndMeanAndItsNeighbours() {
        float[][] ref = {{1, 0}, {0.9f, 0.1f}, {0, 1}, {0.1f, 0.9f}};
        float[][] cand = {{1, 0}, {0.9f, 0.1f}, {0, 1}, {0.9f, 0.1f}};  // last one moved next to the first two

        ValidationReport.EmbeddingAgreement a = Validator.embeddings(ref, cand, 1);

        double moved = (0.1 * 0.9 + 0.9 * 0.1) / (Math.hypot(0.1, 0.9) * Math.hypot(0.9, 0.1));
        assertThat(a.cosineMin()).isEqualTo(moved, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(a.cosineMean()).isEqualTo((3 + moved) / 4, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(a.neighbourOverlap()).isLessThan(1.0);
    }

    @Test
    void firstPercentileOfThreeHundredTexts_isTheThirdLowest() {
        float[][] ref = new float[300][];
        float[][] cand = new float[300][];
        for (int i = 0; i < 300; i++) {
            ref[i] = new float[] {1, 0};
            double angle = i * 0.001;
            cand[i] = new float[] {(float) Math.cos(angle), (float) Math.sin(angle)};
        }

        ValidationReport.EmbeddingAgreement a = Validator.embeddings(ref, cand, 10);

        assertThat(a.cosineMin()).isEqualTo(Math.cos(0.299), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(a.cosineP1()).isEqualTo(Math.cos(0.297), org.assertj.core.data.Offset.offset(1e-6));
    }
}
