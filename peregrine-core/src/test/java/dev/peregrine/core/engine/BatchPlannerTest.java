package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {

    @Test
    void sorted_groupsSimilarLengths_andCoversEveryIndexOnce() {
        int[] lengths = {50, 3, 49, 4, 51, 5};
        List<int[]> batches = BatchPlanner.plan(lengths, 3, 10_000, true);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).containsExactly(1, 3, 5);
        assertThat(batches.get(1)).containsExactly(2, 0, 4);
    }

    @Test
    void tokenBudget_countsPaddingToTheLongestMember() {
        // 4 texts of 10 tokens and one of 100: padded cost of all five is 500.
        int[] lengths = {10, 10, 10, 10, 100};
        List<int[]> batches = BatchPlanner.plan(lengths, 32, 200, true);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).containsExactly(0, 1, 2, 3);
        assertThat(batches.get(1)).containsExactly(4);
        for (int[] b : batches) {
            int longest = Arrays.stream(b).map(i -> lengths[i]).max().orElseThrow();
            assertThat(b.length * longest <= 200 || b.length == 1).isTrue();
        }
    }

    @Test
    void longOutlier_getsItsOwnPass_insteadOfPaddingEveryoneToIt() {
        int[] lengths = new int[32];
        Arrays.fill(lengths, 10);
        lengths[17] = 200;
        List<int[]> batches = BatchPlanner.plan(lengths, 32, 100_000, true, 32);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).hasSize(31).doesNotContain(17);
        assertThat(batches.get(1)).containsExactly(17);
    }

    @Test
    void equalShortTexts_shareOnePass_becauseEachPassHasAFixedCost() {
        int[] lengths = new int[32];
        Arrays.fill(lengths, 8);
        assertThat(BatchPlanner.plan(lengths, 32, 100_000, true, 32)).hasSize(1);
        assertThat(BatchPlanner.plan(lengths, 32, 100_000, true, 0)).as("no overhead: any cut is as good")
                .allSatisfy(b -> assertThat(b.length).isPositive());
    }

    @Test
    void plan_isTheCheapestContiguousCutOfTheSortedOrder_checkedByBruteForce() {
        Random random = new Random(11);
        for (int round = 0; round < 300; round++) {
            int n = 1 + random.nextInt(9);
            int[] lengths = random.ints(n, 2, 120).toArray();
            int maxSize = 1 + random.nextInt(6);
            int maxTokens = 50 + random.nextInt(400);
            int overhead = random.nextInt(64);
            long planned = cost(BatchPlanner.plan(lengths, maxSize, maxTokens, true, overhead), lengths, overhead);
            int[] sorted = lengths.clone();
            Arrays.sort(sorted);
            assertThat(planned).isEqualTo(bruteForce(sorted, 0, maxSize, maxTokens, overhead));
        }
    }

    private static long cost(List<int[]> batches, int[] lengths, int overhead) {
        long total = 0;
        for (int[] b : batches) {
            total += overhead + (long) b.length * Arrays.stream(b).map(i -> lengths[i]).max().orElseThrow();
        }
        return total;
    }

    private static long bruteForce(int[] sorted, int start, int maxSize, int maxTokens, int overhead) {
        if (start == sorted.length) {
            return 0;
        }
        long best = Long.MAX_VALUE;
        for (int end = start + 1; end <= Math.min(sorted.length, start + maxSize); end++) {
            int size = end - start;
            if (size > 1 && (long) size * sorted[end - 1] > maxTokens) {
                break;
            }
            best = Math.min(best, overhead + (long) size * sorted[end - 1]
                    + bruteForce(sorted, end, maxSize, maxTokens, overhead));
        }
        return best;
    }

    @Test
    void textLongerThanTheBudget_stillRunsAlone() {
        List<int[]> batches = BatchPlanner.plan(new int[] {500, 2}, 8, 100, true);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(1)).containsExactly(0);
    }

    @Test
    void unsorted_keepsInputOrder() {
        List<int[]> batches = BatchPlanner.plan(new int[] {9, 1, 9, 1, 9}, 2, 1000, false);
        assertThat(batches).extracting(b -> b[0]).containsExactly(0, 2, 4);
        assertThat(batches.get(0)).containsExactly(0, 1);
    }

    @Test
    void randomLengths_respectBothLimits_andPartitionTheInput() {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            int n = random.nextInt(300);
            int[] lengths = random.ints(n, 2, 513).toArray();
            int maxSize = 1 + random.nextInt(64);
            int maxTokens = 1 + random.nextInt(20_000);
            List<int[]> batches = BatchPlanner.plan(lengths, maxSize, maxTokens, random.nextBoolean());
            List<Integer> seen = new ArrayList<>();
            for (int[] b : batches) {
                assertThat(b.length).isBetween(1, maxSize);
                int longest = Arrays.stream(b).map(i -> lengths[i]).max().orElseThrow();
                if (b.length > 1) {
                    assertThat((long) b.length * longest).isLessThanOrEqualTo(maxTokens);
                }
                Arrays.stream(b).forEach(seen::add);
            }
            assertThat(seen).hasSize(n).doesNotHaveDuplicates();
        }
    }

    @Test
    void nonPositiveLimits_areRejected() {
        assertThatThrownBy(() -> BatchPlanner.plan(new int[] {1}, 0, 10, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BatchPlanner.plan(new int[] {1}, 1, 0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BatchPlanner.plan(new int[] {1}, 1, 1, true, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
