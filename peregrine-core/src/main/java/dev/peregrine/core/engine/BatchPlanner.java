package dev.peregrine.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a list of texts into forward passes. A pass costs about (texts x longest length) padded
 * tokens, so texts of similar length are grouped (when sorting is on) and each pass is limited both
 * in texts and in padded tokens. Pure and stateless; the server's batcher uses the same rules.
 */
public final class BatchPlanner {

    private BatchPlanner() {
    }

    /**
     * Plans the batches for texts of the given token lengths.
     *
     * @param lengths        token length of each text (index = position in the caller's list)
     * @param maxBatchSize   most texts per batch (>= 1)
     * @param maxBatchTokens most padded tokens per batch (>= 1); a text longer than this runs alone
     * @param sortByLength   group by length (ascending); otherwise keep input order
     * @return batches of indices into {@code lengths}; every index appears exactly once
     */
    public static List<int[]> plan(int[] lengths, int maxBatchSize, int maxBatchTokens, boolean sortByLength) {
        if (maxBatchSize < 1 || maxBatchTokens < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
        int n = lengths.length;
        int[] order = new int[n];
        if (sortByLength) {
            // Stable sort by length keeps equal-length texts in input order (deterministic batches).
            Integer[] boxed = new Integer[n];
            for (int i = 0; i < n; i++) {
                boxed[i] = i;
            }
            Arrays.sort(boxed, (a, b) -> Integer.compare(lengths[a], lengths[b]));
            for (int i = 0; i < n; i++) {
                order[i] = boxed[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
        }
        List<int[]> batches = new ArrayList<>();
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
}
