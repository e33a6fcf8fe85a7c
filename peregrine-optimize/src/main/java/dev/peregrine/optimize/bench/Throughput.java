package dev.peregrine.optimize.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Timing of repeated passes over the same texts.
 *
 * @param texts         texts per pass
 * @param passSeconds   wall time of each measured pass
 * @param batchMillis   wall time of every forward pass (batch) in the measured passes
 */
public record Throughput(int texts, double[] passSeconds, double[] batchMillis) {

    /** Texts per second of the median pass. */
    public double itemsPerSecond() {
        return texts / median(passSeconds);
    }

    /** Milliseconds per text of the median pass. */
    public double msPerItem() {
        return 1000 * median(passSeconds) / texts;
    }

    public double p50BatchMs() {
        return percentile(batchMillis, 0.50);
    }

    public double p99BatchMs() {
        return percentile(batchMillis, 0.99);
    }

    static double median(double[] values) {
        return percentile(values, 0.5);
    }

    /** Nearest-rank percentile. */
    static double percentile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, rank))];
    }

    static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
