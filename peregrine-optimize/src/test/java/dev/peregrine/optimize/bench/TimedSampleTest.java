package dev.peregrine.optimize.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimedSampleTest {

    /** 529 lengths like the validation set's: mostly short, a long tail. */
    private static int[] skewedLengths() {
        Random r = new Random(7);
        int[] lengths = new int[529];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = i % 10 == 0 ? 150 + r.nextInt(107) : 5 + r.nextInt(40);
        }
        return lengths;
    }

    @Test
    void drawsTheAskedNumber_distinct_inInputOrder_andTheSameForTheSameSeed() {
        int[] lengths = skewedLengths();
        int[] sample = TimedSample.of(lengths, 128, 14);

        assertThat(sample).hasSize(128).isSorted().doesNotHaveDuplicates();
        assertThat(sample[0]).isNotNegative();
        assertThat(sample[sample.length - 1]).isLessThan(lengths.length);
        assertThat(TimedSample.of(lengths, 128, 14)).containsExactly(sample);
        assertThat(TimedSample.of(lengths, 128, 15)).isNotEqualTo(sample);
    }

    @Test
    void followsTheLengths_shortestAndLongestStrataIncluded() {
        int[] lengths = skewedLengths();
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        int[] sample = TimedSample.of(lengths, 128, 14);
        int[] drawn = Arrays.stream(sample).map(i -> lengths[i]).sorted().toArray();

        // one text from each of 128 strata of the length order: the k-th shortest drawn lies in stratum k
        for (int k = 0; k < drawn.length; k++) {
            int from = (int) ((long) k * lengths.length / drawn.length);
            int to = (int) ((long) (k + 1) * lengths.length / drawn.length) - 1;
            assertThat(drawn[k]).as("drawn length %d", k).isBetween(sorted[from], sorted[to]);
        }
        double share = Arrays.stream(drawn).filter(l -> l >= 150).count() / (double) drawn.length;
        double whole = Arrays.stream(lengths).filter(l -> l >= 150).count() / (double) lengths.length;
        assertThat(share).isCloseTo(whole, org.assertj.core.data.Offset.offset(1.0 / 128 + 1e-9));
    }

    @Test
    void asManyOrMoreThanTheTexts_isAllOfThem() {
        int[] lengths = {3, 9, 4};
        assertThat(TimedSample.of(lengths, 3, 1)).containsExactly(0, 1, 2);
        assertThat(TimedSample.of(lengths, 500, 1)).containsExactly(0, 1, 2);
    }

    @Test
    void anEmptySample_isRefused() {
        assertThatThrownBy(() -> TimedSample.of(new int[] {1, 2}, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
