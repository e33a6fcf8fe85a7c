package dev.peregrine.optimize.validate;

/**
 * The fidelity bar.
 *
 * @param minAgreement    classifiers: least share of texts with the same top label
 * @param minCosine       embedders: least mean cosine similarity
 * @param maxAccuracyDrop classifiers with labelled data: most accuracy (0..1) the candidate may lose;
 *                        NaN for no check
 * @param neighbours      k of the nearest-neighbour overlap
 */
public record ValidationOptions(double minAgreement, double minCosine, double maxAccuracyDrop, int neighbours) {

    public static final double DEFAULT_MIN_AGREEMENT = 0.99;
    public static final double DEFAULT_MIN_COSINE = 0.99;
    public static final int DEFAULT_NEIGHBOURS = 10;

    public ValidationOptions {
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("min agreement must be in [0, 1], was " + minAgreement);
        }
        if (!(minCosine >= -1 && minCosine <= 1)) {
            throw new IllegalArgumentException("min cosine must be in [-1, 1], was " + minCosine);
        }
        if (neighbours < 1) {
            throw new IllegalArgumentException("neighbours must be at least 1, was " + neighbours);
        }
    }

    public static ValidationOptions defaults() {
        return new ValidationOptions(DEFAULT_MIN_AGREEMENT, DEFAULT_MIN_COSINE, Double.NaN, DEFAULT_NEIGHBOURS);
    }
}
