package dev.peregrine.optimize.quantize;

import java.util.Optional;

/**
 * A fixed uint8 quantization of one activation, {@code q = clamp(round(x / scale) + zeroPoint, 0, 255)},
 * chosen from the range the activation took on calibration texts (min-max: the whole observed range,
 * widened to include 0 so that 0 and padding are exact).
 *
 * <p>Min-max rather than a percentile or entropy cut: a transformer's LayerNorm outputs carry a few
 * outlier channels that matter to the result, and clipping them costs more than the coarser step
 * saves (measured on all-MiniLM-L6-v2: a 99.99th-percentile range per tensor gave mean cosine 0.954
 * and p1 0.834 on the validation texts, min-max 0.995 and 0.984); what makes min-max affordable
 * there is {@link Smoothing}, which divides those channels out before the range is taken.
 *
 * @param low       the smallest value represented (at most 0)
 * @param high      the largest value represented (at least 0)
 * @param scale     the step between uint8 levels
 * @param zeroPoint the uint8 level that stands for 0
 */
public record ActivationRange(float low, float high, float scale, int zeroPoint) {

    public ActivationRange {
        if (!(low <= 0 && high >= 0 && scale > 0) || zeroPoint < 0 || zeroPoint > 255) {
            throw new IllegalArgumentException("bad activation range [" + low + ", " + high + "], scale " + scale
                    + ", zero point " + zeroPoint);
        }
    }

    /** The uint8 quantization covering {@code [min(low, 0), max(high, 0)]}. */
    public static ActivationRange of(float low, float high) {
        if (!Float.isFinite(low) || !Float.isFinite(high) || low > high) {
            throw new IllegalArgumentException("activation range [" + low + ", " + high + "] is not a finite range");
        }
        float lo = Math.min(low, 0f);
        float hi = Math.max(high, 0f);
        if (hi - lo < 1e-8f) {
            // A constant-zero activation: any scale represents it exactly.
            return new ActivationRange(lo, hi, 1f, 0);
        }
        float scale = (hi - lo) / 255f;
        int zeroPoint = (int) Math.max(0, Math.min(255, Math.round(-lo / scale)));
        return new ActivationRange(lo, hi, scale, zeroPoint);
    }

    /**
     * The range of {@code x / divisors} (per channel) from the calibrated per-channel range of x, or
     * of x itself when {@code divisors} is null; empty when the stats did not observe x with signs.
     *
     * @param divisors positive per-channel smoothing factors x is divided by, or null
     */
    public static Optional<ActivationRange> of(ActivationStats stats, String x, float[] divisors) {
        return stats.range(x).map(r -> {
            float[] low = r[0];
            float[] high = r[1];
            if (divisors != null && divisors.length != low.length) {
                throw new IllegalArgumentException("smoothing has " + divisors.length + " factors for " + low.length
                        + " channels of " + x);
            }
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < low.length; c++) {
                float d = divisors == null ? 1f : divisors[c];
                lo = Math.min(lo, low[c] / d);
                hi = Math.max(hi, high[c] / d);
            }
            return of(lo, hi);
        });
    }
}
