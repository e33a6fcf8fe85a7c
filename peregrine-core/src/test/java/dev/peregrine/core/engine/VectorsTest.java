package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.peregrine.core.model.Pooling;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class VectorsTest {

    /** Batch of 2 texts, padded length 3, width 2; text 0 has 2 real tokens, text 1 has 3. */
    private static final FloatBuffer HIDDEN = FloatBuffer.wrap(new float[] {
        1, 2, 3, 4, 100, 100,      // text 0: tokens (1,2) (3,4), padding (100,100)
        -1, 0, 5, 1, 2, 8,         // text 1
    });

    @Test
    void meanPooling_ignoresPadding() {
        assertThat(Vectors.pool(HIDDEN, 0, 3, 2, 2, Pooling.MEAN)).containsExactly(2f, 3f);
        assertThat(Vectors.pool(HIDDEN, 1, 3, 2, 3, Pooling.MEAN)).containsExactly(2f, 3f);
    }

    @Test
    void clsMaxLastTokenAndSqrtLen() {
        assertThat(Vectors.pool(HIDDEN, 1, 3, 2, 3, Pooling.CLS)).containsExactly(-1f, 0f);
        assertThat(Vectors.pool(HIDDEN, 1, 3, 2, 3, Pooling.MAX)).containsExactly(5f, 8f);
        assertThat(Vectors.pool(HIDDEN, 0, 3, 2, 2, Pooling.MAX)).containsExactly(3f, 4f);
        assertThat(Vectors.pool(HIDDEN, 0, 3, 2, 2, Pooling.LAST_TOKEN)).containsExactly(3f, 4f);
        assertThat(Vectors.pool(HIDDEN, 0, 3, 2, 2, Pooling.MEAN_SQRT_LEN))
                .containsExactly(new float[] {(float) (4 / Math.sqrt(2)), (float) (6 / Math.sqrt(2))}, within(1e-6f));
    }

    @Test
    void softmax_isStableForHugeLogits_andSumsToOne() {
        float[] p = Vectors.softmaxInPlace(new float[] {1000f, 1000f, -1000f});
        assertThat(p).containsExactly(new float[] {0.5f, 0.5f, 0f}, within(1e-7f));
    }

    @Test
    void normalize_givesUnitLength_andLeavesZeroAlone() {
        assertThat(Vectors.normalizeInPlace(new float[] {3, 4})).containsExactly(0.6f, 0.8f);
        assertThat(Vectors.normalizeInPlace(new float[] {0, 0})).containsExactly(0f, 0f);
    }

    @Test
    void cosine_ofParallelOrthogonalAndOpposite() {
        assertThat(Vectors.cosine(new float[] {1, 2}, new float[] {2, 4})).isCloseTo(1.0, within(1e-12));
        assertThat(Vectors.cosine(new float[] {1, 0}, new float[] {0, 3})).isCloseTo(0.0, within(1e-12));
        assertThat(Vectors.cosine(new float[] {1, 1}, new float[] {-1, -1})).isCloseTo(-1.0, within(1e-12));
    }
}
