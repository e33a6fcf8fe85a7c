package dev.peregrine.benchmarks;

import java.util.Arrays;

/** Summaries of repeated measurement rounds. */
final class Rounds {

    private Rounds() {
    }

    /** The median round (the mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
