package dev.peregrine.optimize.validate;

/**
 * The fidelity bar (the gate {@code validate}, {@code quantize} and {@code optimize} apply). The
 * tail matters as much as the mean: a mean of 0.99 can hide a few texts whose vectors point
 * elsewhere, so embedders must also keep their 1st-percentile cosine above {@link #minP1Cosine}.
 *
 * @param minAgreement    classifiers: least share of texts with the same top label
 * @param minCosine       embedders: least mean cosine similarity
 * @param maxAccuracyDrop classifiers with labelled data: most accuracy (0..1) the candidate may lose;
 *                        NaN for no check
 * @param neighbours      k of the nearest-neighbour overlap
 * @param minP1Cosine     embedders: least 1st-percentile cosine (99% of texts at least this close)
 */
public record ValidationOptions(double minAgreement, double minCosine, double maxAccuracyDrop, int neighbours,
                                double minP1Cosine) {

    public static final double DEFAULT_MIN_AGREEMENT = 0.99;
    public static final double DEFAULT_MIN_COSINE = 0.99;
    public static final double DEFAULT_MIN_P1_COSINE = 0.97;
    /** Half an accuracy point. */
    public static final double DEFAULT_MAX_ACCURACY_DROP = 0.005;
    public static final int DEFAULT_NEIGHBOURS = 10;

    public ValidationOptions {
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("min agreement must be in [0, 1], was " + minAgreement);
        }
        if (!(minCosine >= -1 && minCosine <= 1)) {
            throw new IllegalArgumentException("min cosine must be in [-1, 1], was " + minCosine);
        }
        if (!(minP1Cosine >= -1 && minP1Cosine <= 1)) {
            throw new IllegalArgumentException("min p1 cosine must be in [-1, 1], was " + minP1Cosine);
        }
        if (!Double.isNaN(maxAccuracyDrop) && !(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 1)) {
            throw new IllegalArgumentException("max accuracy drop must be in [0, 1], was " + maxAccuracyDrop);
        }
        if (neighbours < 1) {
            throw new IllegalArgumentException("neighbours must be at least 1, was " + neighbours);
        }
    }

    /** With the default tail bar, never stricter than the mean bar. */
    public ValidationOptions(double minAgreement, double minCosine, double maxAccuracyDrop, int neighbours) {
        this(minAgreement, minCosine, maxAccuracyDrop, neighbours, Math.min(DEFAULT_MIN_P1_COSINE, minCosine));
    }

    /** Mean cosine 0.99 and p1 0.97; label agreement 0.99 and, with labels, at most half a point of accuracy lost. */
    public static ValidationOptions defaults() {
        return new ValidationOptions(DEFAULT_MIN_AGREEMENT, DEFAULT_MIN_COSINE, DEFAULT_MAX_ACCURACY_DROP,
                DEFAULT_NEIGHBOURS, DEFAULT_MIN_P1_COSINE);
    }
}
