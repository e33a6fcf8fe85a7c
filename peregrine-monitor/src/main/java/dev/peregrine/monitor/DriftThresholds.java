package dev.peregrine.monitor;

/**
 * Where each statistic turns a level to warn and to alert. Defaults were set by measuring the
 * shipped drift sets (German, long and gibberish texts against English support texts) on the
 * default models; see docs/monitoring.md.
 *
 * @param lengthPsiWarn        population stability index of the token-length distribution
 * @param lengthPsiAlert       (rule of thumb in credit scoring: 0.1 moderate, 0.25 major shift)
 * @param truncationWarn       increase of the truncated share over the reference (absolute)
 * @param truncationAlert
 * @param unknownWarn          increase of the unknown-token share over the reference (absolute)
 * @param unknownAlert
 * @param labelPsiWarn         PSI of the predicted-label distribution (classifiers); a warn or
 * @param labelPsiAlert        alert also needs the chi-square test's p-value under {@code labelPValue}
 * @param labelPValue
 * @param centroidShiftWarn    1 - cosine(window centroid, reference centroid), divided by the
 * @param centroidShiftAlert   reference's spread (1 - its mean cosine to its centroid) (embedders)
 * @param similarityDropWarn   fall of the mean cosine to the reference centroid, in standard
 * @param similarityDropAlert  deviations of the reference's cosines (embedders)
 * @param confidenceDropWarn   fall of the mean top-1 probability (classifiers)
 * @param confidenceDropAlert
 * @param entropyRiseWarn      rise of the mean prediction entropy in nats (classifiers)
 * @param entropyRiseAlert
 */
public record DriftThresholds(
        double lengthPsiWarn, double lengthPsiAlert,
        double truncationWarn, double truncationAlert,
        double unknownWarn, double unknownAlert,
        double labelPsiWarn, double labelPsiAlert, double labelPValue,
        double centroidShiftWarn, double centroidShiftAlert,
        double similarityDropWarn, double similarityDropAlert,
        double confidenceDropWarn, double confidenceDropAlert,
        double entropyRiseWarn, double entropyRiseAlert) {

    public DriftThresholds {
        pair("lengthPsi", lengthPsiWarn, lengthPsiAlert);
        pair("truncation", truncationWarn, truncationAlert);
        pair("unknown", unknownWarn, unknownAlert);
        pair("labelPsi", labelPsiWarn, labelPsiAlert);
        pair("centroidShift", centroidShiftWarn, centroidShiftAlert);
        pair("similarityDrop", similarityDropWarn, similarityDropAlert);
        pair("confidenceDrop", confidenceDropWarn, confidenceDropAlert);
        pair("entropyRise", entropyRiseWarn, entropyRiseAlert);
        if (!(labelPValue > 0 && labelPValue < 1)) {
            throw new IllegalArgumentException("labelPValue must be in (0, 1), was " + labelPValue);
        }
    }

    private static void pair(String name, double warn, double alert) {
        if (!(warn > 0) || !(alert >= warn)) {
            throw new IllegalArgumentException(name + ": need 0 < warn <= alert, got " + warn + " and " + alert);
        }
    }

    public static DriftThresholds defaults() {
        return new DriftThresholds(
                0.10, 0.25,
                0.05, 0.15,
                0.01, 0.03,
                0.10, 0.25, 0.01,
                0.20, 0.35,
                0.75, 1.50,
                0.05, 0.10,
                0.10, 0.25);
    }
}
