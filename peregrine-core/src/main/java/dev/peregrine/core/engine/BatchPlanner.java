package dev.peregrine.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * <p>Pure and stateless; the server's batcher uses the same rules.
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

    /**
     * Minimum-cost cut of the sorted order into contiguous groups. In sorted order a group's
     * longest member is its last, so cost(i..j) = overhead + (j - i + 1) * length(j).
     */
    private static List<int[]> optimal(int[] order, int[] lengths, int maxBatchSize, int maxBatchTokens,
                                       int overhead) {
        int n = order.length;
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        for (int end = 1; end <= n; end++) {
            long longest = lengths[order[end - 1]];
            best[end] = Long.MAX_VALUE;
            for (int size = 1; size <= Math.min(maxBatchSize, end); size++) {
                if (size > 1 && size * longest > maxBatchTokens) {
                    break;
                }
                long cost = best[end - size] + overhead + size * longest;
                if (cost < best[end]) {
                    best[end] = cost;
                    cut[end] = end - size;
                }
            }
        }
        List<int[]> batches = new ArrayList<>();
        for (int end = n; end > 0; end = cut[end]) {
            batches.add(Arrays.copyOfRange(order, cut[end], end));
        }
        Collections.reverse(batches);
        return batches;
    }
}
