package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link BatchPlanner#cutSorted}: the cut the planner and the server's queue share. */
class BatchPlannerCutSortedTest {

    @Test
    void boundariesStartAtZero_endAtN_andGroupALongOutlierAlone() {
        int[] bounds = BatchPlanner.cutSorted(new int[] {3, 3, 4, 4, 5, 200}, 32, 8192, 32);

        assertThat(bounds).containsExactly(0, 5, 6);
    }

    @Test
    void noLengths_noGroups() {
        assertThat(BatchPlanner.cutSorted(new int[0], 8, 100, 32)).containsExactly(0);
    }

    @Test
    void whereCutsCostTheSame_theShorterLastGroupIsKept() {
        // no overhead: one pass of two 10s (20) costs what two passes of one (10 + 10) do
        assertThat(BatchPlanner.cutSorted(new int[] {10, 10}, 8, 100, 0)).containsExactly(0, 1, 2);
        assertThat(BatchPlanner.cutSorted(new int[] {10, 10}, 8, 100, 1)).containsExactly(0, 2);
    }

    @Test
    void anOverheadOfIntegerMax_fillsPassesToTheLimits_withoutOverflow() {
        int[] bounds = BatchPlanner.cutSorted(new int[] {1, 2, 50, 60, 70}, 3, 1000, Integer.MAX_VALUE);

        assertThat(bounds).containsExactly(0, 2, 5);   // two passes, the fewest the size limit allows
    }

    @Test
    void givesThePlannersGroups_forRandomSortedLengths_withinBothLimits() {
        Random random = new Random(5);
        for (int round = 0; round < 200; round++) {
            int[] sorted = random.ints(1 + random.nextInt(40), 1, 300).sorted().toArray();
            int maxSize = 1 + random.nextInt(10);
            int maxTokens = 100 + random.nextInt(1000);
            int overhead = random.nextInt(100);

            int[] bounds = BatchPlanner.cutSorted(sorted, maxSize, maxTokens, overhead);
            List<int[]> planned = BatchPlanner.plan(sorted, maxSize, maxTokens, true, overhead);

            assertThat(bounds[0]).isZero();
            assertThat(bounds[bounds.length - 1]).isEqualTo(sorted.length);
            assertThat(planned).hasSize(bounds.length - 1);
            for (int g = 0; g + 1 < bounds.length; g++) {
                int size = bounds[g + 1] - bounds[g];
                assertThat(size).isBetween(1, maxSize);
                assertThat(size == 1 || (long) size * sorted[bounds[g + 1] - 1] <= maxTokens).isTrue();
                int[] expected = new int[size];
                int first = bounds[g];
                Arrays.setAll(expected, i -> first + i);
                assertThat(planned.get(g)).containsExactly(expected);
            }
        }
    }

    @Test
    void unsortedLengthsAndBadLimits_areRejected() {
        assertThatThrownBy(() -> BatchPlanner.cutSorted(new int[] {5, 4}, 8, 100, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sorted");
        assertThatThrownBy(() -> BatchPlanner.cutSorted(new int[] {1}, 0, 100, 32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BatchPlanner.cutSorted(new int[] {1}, 8, 0, 32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BatchPlanner.cutSorted(new int[] {1}, 8, 100, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
