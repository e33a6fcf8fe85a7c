package dev.peregrine.monitor;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/** The statistics the monitor compares windows with. */
final class Stats {

    /** Floor for proportions in PSI and chi-square, so an empty bin does not give infinity. */
    static final double EPSILON = 1e-4;

    private Stats() {
    }

    static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Shannon entropy in nats. */
    static double entropy(float[] p) {
        double h = 0;
        for (float x : p) {
            if (x > 0) {
                h -= x * Math.log(x);
            }
        }
        return h;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /**
     * Population stability index of {@code observed} counts against {@code expected} proportions:
     * sum over bins of (o - e) * ln(o / e), with both floored at {@link #EPSILON}.
     */
    static double psi(long[] observed, double[] expected) {
        long n = 0;
        for (long c : observed) {
            n += c;
        }
        if (n == 0) {
            return 0;
        }
        double psi = 0;
        for (int i = 0; i < observed.length; i++) {
            double o = Math.max(EPSILON, (double) observed[i] / n);
            double e = Math.max(EPSILON, expected[i]);
            psi += (o - e) * Math.log(o / e);
        }
        return psi;
    }

    /** Chi-square goodness-of-fit p-value of {@code observed} counts against {@code expected} proportions. */
    static double chiSquarePValue(long[] observed, double[] expected) {
        long n = 0;
        for (long c : observed) {
            n += c;
        }
        if (n == 0 || observed.length < 2) {
            return 1;
        }
        double total = 0;
        for (double e : expected) {
            total += Math.max(EPSILON, e);
        }
        double chi = 0;
        for (int i = 0; i < observed.length; i++) {
            double e = n * Math.max(EPSILON, expected[i]) / total;
            double d = observed[i] - e;
            chi += d * d / e;
        }
        return ChiSquaredDistribution.of(observed.length - 1).survivalProbability(chi);
    }
}
