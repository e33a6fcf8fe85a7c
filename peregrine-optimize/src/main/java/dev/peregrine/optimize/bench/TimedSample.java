package dev.peregrine.optimize.bench;

import java.util.Arrays;
import java.util.Random;

/**
 * Which texts a quick benchmark times: a fixed, seeded sample whose token lengths follow the whole
 * set's. The texts are ordered by length and cut into as many equal strata as texts are wanted; one
 * text is drawn at random from each stratum. Every stratum is represented, so the padding an unsorted
 * batch pays (it pads to its longest member) is what the whole set would make it pay, which a plain
 * random sample of a hundred texts only gets on average. The chosen texts keep their input order,
 * so unsorted batches are cut from them as from the whole set.
 *
 * <p>Pure: the same lengths, size and seed always give the same sample.
 */
final class TimedSample {

    private TimedSample() {
    }

    /**
     * @param lengths token length of every text
     * @param size    texts wanted; at least the number of texts means all of them
     * @param seed    the draw within each stratum
     * @return indices into {@code lengths}, ascending, {@code min(size, lengths.length)} of them
     */
    static int[] of(int[] lengths, int size, long seed) {
        if (size < 1) {
            throw new IllegalArgumentException("a sample needs at least one text, was " + size);
        }
        int n = lengths.length;
        if (size >= n) {
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            return all;
        }
        Integer[] byLength = new Integer[n];
        Arrays.setAll(byLength, i -> i);
        Arrays.sort(byLength, (a, b) -> lengths[a] != lengths[b] ? Integer.compare(lengths[a], lengths[b])
                : Integer.compare(a, b));
        Random random = new Random(seed);
        int[] chosen = new int[size];
        for (int k = 0; k < size; k++) {
            int from = (int) ((long) k * n / size);
            int to = (int) ((long) (k + 1) * n / size);
            chosen[k] = byLength[from + random.nextInt(to - from)];
        }
        Arrays.sort(chosen);
        return chosen;
    }
}
