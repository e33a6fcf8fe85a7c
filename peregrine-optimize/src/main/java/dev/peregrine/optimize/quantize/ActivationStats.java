package dev.peregrine.optimize.quantize;

import java.util.Map;
import java.util.Optional;

/**
 * What a graph's activations look like on calibration texts. For each observed value: the largest
 * absolute value each channel (last axis) took over real (unpadded) tokens, and a sample of token
 * rows (chosen by seeded reservoir sampling) to simulate quantized products on.
 *
 * @param channelMax per value, the per-channel maximum of |x|
 * @param samples    per value, sampled rows [rows][channels]; may be empty
 * @param texts      how many texts were run
 */
public record ActivationStats(Map<String, float[]> channelMax, Map<String, float[][]> samples, int texts) {

    public ActivationStats {
        channelMax = Map.copyOf(channelMax);
        samples = Map.copyOf(samples);
    }

    public Optional<float[]> of(String value) {
        return Optional.ofNullable(channelMax.get(value));
    }

    public Optional<float[][]> sample(String value) {
        return Optional.ofNullable(samples.get(value));
    }
}
