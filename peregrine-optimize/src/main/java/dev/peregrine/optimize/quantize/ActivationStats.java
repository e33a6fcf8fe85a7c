package dev.peregrine.optimize.quantize;

import java.util.Map;
import java.util.Optional;

/**
 * What a graph's activations look like on calibration texts. For each observed value: the largest
 * absolute value each channel (last axis) took over real (unpadded) tokens, and a sample of token
 * rows (chosen by seeded reservoir sampling) to simulate quantized products on.
 *
 * @param channelMax per value, the per-channel maximum of |x|
 * @param channelLow per value, the per-channel minimum of x (signed); empty when not measured
 * @param channelHigh per value, the per-channel maximum of x (signed); empty when not measured
 * @param samples    per value, sampled rows [rows][channels]; may be empty
 * @param texts      how many texts were run
 */
public record ActivationStats(Map<String, float[]> channelMax, Map<String, float[]> channelLow,
                              Map<String, float[]> channelHigh, Map<String, float[][]> samples, int texts) {

    public ActivationStats {
        channelMax = Map.copyOf(channelMax);
        channelLow = Map.copyOf(channelLow);
        channelHigh = Map.copyOf(channelHigh);
        samples = Map.copyOf(samples);
    }

    /** Magnitudes and samples only (no signed ranges): enough for smoothing, not for static scales. */
    public ActivationStats(Map<String, float[]> channelMax, Map<String, float[][]> samples, int texts) {
        this(channelMax, Map.of(), Map.of(), samples, texts);
    }

    public Optional<float[]> of(String value) {
        return Optional.ofNullable(channelMax.get(value));
    }

    /** Per-channel signed {minimum, maximum} of a value, when measured. */
    public Optional<float[][]> range(String value) {
        float[] low = channelLow.get(value);
        float[] high = channelHigh.get(value);
        return low == null || high == null ? Optional.empty() : Optional.of(new float[][] {low, high});
    }

    public Optional<float[][]> sample(String value) {
        return Optional.ofNullable(samples.get(value));
    }
}
