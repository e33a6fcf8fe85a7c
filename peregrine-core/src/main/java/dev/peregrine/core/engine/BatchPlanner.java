package dev.peregrine.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a list of texts into forward passes.
 *
 * <h2>Cost model</h2>
 * A pass over {@code n} texts padded to the longest, {@code L} tokens, costs about
 * {@code overhead + n * L} token-units: every padded position is computed, and every pass pays a
 * fixed price (operator launches, thread hand-offs) expressed as {@code passOverheadTokens}. Greedy
 * filling up to the size and token limits is wrong for mixed lengths: one 200-token text in a group
 * of 32 short ones makes all 32 pay for 200 tokens (measured: 4.3x the real tokens on our varied
 * text set). So, with sorting on, the planner sorts by length and picks the contiguous groups that
 * minimize the total cost, by dynamic programming over the sorted order, O(n x maxBatchSize); each
 * group respects {@code maxBatchSize} and {@code maxBatchTokens}. Many short texts still share one
 * pass (the overhead pays for it); a long outlier gets a pass of its own.
 *
 * <p>Pure and stateless. The server's batcher cuts its queue with the same function,
 * {@link #cutSorted}.
 */
public final class BatchPlanner {

    /** Default fixed price of one forward pass, in padded-token units (measured; see docs/benchmarks.md). */
    public static final int DEFAULT_PASS_OVERHEAD_TOKENS = 32;

    private BatchPlanner() {
    }

    /** {@link #plan(int[], int, int, boolean, int)} with the default pass overhead. */
    public static List<int[]> plan(int[] lengths, int maxBatchSize, int maxBatchTokens, boolean sortByLength) {
        return plan(lengths, maxBatchSize, maxBatchTokens, sortByLength, DEFAULT_PASS_OVERHEAD_TOKENS);
    }

    /**
     * Plans the batches for texts of the given token lengths.
     *
     * @param lengths            token length of each text (index = position in the caller's list)
     * @param maxBatchSize       most texts per batch (>= 1)
     * @param maxBatchTokens     most padded tokens per batch (>= 1); a text longer than this runs alone
     * @param sortByLength       group by length (cost-optimal cut of the sorted order); otherwise fill
     *                           greedily in input order
     * @param passOverheadTokens the fixed cost of one pass in token units (>= 0); 0 minimizes padding
     *                           alone, large values favour few, full batches
     * @return batches of indices into {@code lengths}, shortest texts first when sorted; every index
     *         appears exactly once
     */
    public static List<int[]> plan(int[] lengths, int maxBatchSize, int maxBatchTokens, boolean sortByLength,
                                   int passOverheadTokens) {
        if (maxBatchSize < 1 || maxBatchTokens < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
        if (passOverheadTokens < 0) {
            throw new IllegalArgumentException("passOverheadTokens must be >= 0, was " + passOverheadTokens);
        }
        int n = lengths.length;
        if (n == 0) {
            return List.of();
        }
        if (!sortByLength) {
            int[] order = new int[n];
            Arrays.setAll(order, i -> i);
            return greedy(order, lengths, maxBatchSize, maxBatchTokens);
        }
        int[] order = sortedOrder(lengths);
        return optimal(order, lengths, maxBatchSize, maxBatchTokens, passOverheadTokens);
    }

    /** Indices sorted by length; stable, so equal lengths keep input order (deterministic plans). */
    private static int[] sortedOrder(int[] lengths) {
        Integer[] boxed = new Integer[lengths.length];
        Arrays.setAll(boxed, i -> i);
        Arrays.sort(boxed, (a, b) -> Integer.compare(lengths[a], lengths[b]));
        int[] order = new int[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    private static List<int[]> greedy(int[] order, int[] lengths, int maxBatchSize, int maxBatchTokens) {
        List<int[]> batches = new ArrayList<>();
        int n = order.length;
        int start = 0;
        while (start < n) {
            int longest = lengths[order[start]];
            int end = start + 1;
            while (end < n && end - start < maxBatchSize) {
                int candidateLongest = Math.max(longest, lengths[order[end]]);
                if ((long) (end - start + 1) * candidateLongest > maxBatchTokens) {
                    break;
                }
                longest = candidateLongest;
                end++;
            }
            batches.add(Arrays.copyOfRange(order, start, end));
            start = end;
        }
        return batches;
    }

    /** The cost-optimal cut of the sorted order, as batches of indices into {@code lengths}. */
    private static List<int[]> optimal(int[] order, int[] lengths, int maxBatchSize, int maxBatchTokens,
                                       int overhead) {
        int[] sorted = new int[order.length];
        Arrays.setAll(sorted, i -> lengths[order[i]]);
        int[] bounds = cutSorted(sorted, maxBatchSize, maxBatchTokens, overhead);
        List<int[]> batches = new ArrayList<>(bounds.length - 1);
        for (int g = 0; g + 1 < bounds.length; g++) {
            batches.add(Arrays.copyOfRange(order, bounds[g], bounds[g + 1]));
        }
        return batches;
    }

    /**
     * The minimum-cost cut of lengths already sorted, shortest first, into contiguous groups: each
     * group is one pass costing {@code passOverheadTokens + texts x longest}, holds at most
     * {@code maxBatchSize} texts and at most {@code maxBatchTokens} padded tokens (a text longer than
     * that is a group of its own), and the groups' total cost is the least possible. Where cuts
     * cost the same, the one whose last group is shorter is kept.
     *
     * <p>Dynamic programming over the sorted order, O(n x maxBatchSize) time, O(n) space: in sorted
     * order a group's longest text is its last, so cost(i..j) = overhead + (j - i + 1) x length(j).
     *
     * @param sortedLengths      token lengths in ascending order (not modified)
     * @param maxBatchSize       most texts per group (>= 1)
     * @param maxBatchTokens     most padded tokens per group (>= 1)
     * @param passOverheadTokens the fixed cost of one pass in token units (>= 0)
     * @return the groups' boundaries {@code b}, {@code 0 = b[0] < b[1] < ... < b[k] = n}: group
     *         {@code g} holds positions {@code b[g]} to {@code b[g + 1] - 1}; {@code {0}} when there
     *         are no lengths
     * @throws IllegalArgumentException when a limit is out of range or the lengths are not sorted
     */
    public static int[] cutSorted(int[] sortedLengths, int maxBatchSize, int maxBatchTokens, int passOverheadTokens) {
        if (maxBatchSize < 1 || maxBatchTokens < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
        if (passOverheadTokens < 0) {
            throw new IllegalArgumentException("passOverheadTokens must be >= 0, was " + passOverheadTokens);
        }
        int n = sortedLengths.length;
        for (int i = 1; i < n; i++) {
            if (sortedLengths[i] < sortedLengths[i - 1]) {
                throw new IllegalArgumentException("lengths must be sorted, but " + sortedLengths[i]
                        + " follows " + sortedLengths[i - 1] + " at " + i);
            }
        }
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        for (int end = 1; end <= n; end++) {
            long longest = sortedLengths[end - 1];
            best[end] = Long.MAX_VALUE;
            for (int size = 1; size <= Math.min(maxBatchSize, end); size++) {
                if (size > 1 && size * longest > maxBatchTokens) {
                    break;
                }
                long cost = best[end - size] + passOverheadTokens + size * longest;
                if (cost < best[end]) {
                    best[end] = cost;
                    cut[end] = end - size;
                }
            }
        }
        int groups = 0;
        for (int end = n; end > 0; end = cut[end]) {
            groups++;
        }
        int[] bounds = new int[groups + 1];   // bounds[0] = 0
        for (int end = n, g = groups; g > 0; end = cut[end]) {
            bounds[g--] = end;
        }
        return bounds;
    }
}
