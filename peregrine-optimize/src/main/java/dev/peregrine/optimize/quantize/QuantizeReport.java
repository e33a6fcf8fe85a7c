package dev.peregrine.optimize.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a quantizer did.
 *
 * @param mode          the conversion
 * @param converted     nodes rewritten, by original op type
 * @param emitted       nodes added, by op type (for example {@code DynamicQuantizeMatMul})
 * @param skipped       candidates left in float, by reason, with counts
 * @param excluded      node names left in float because the caller excluded them
 * @param bytesBefore   bytes of initializers before
 * @param bytesAfter    bytes of initializers after
 * @param smoothed      activations divided by smoothing factors, with the strength used
 */
public record QuantizeReport(QuantMode mode, Map<String, Integer> converted, Map<String, Integer> emitted,
                             Map<String, Integer> skipped, List<String> excluded, long bytesBefore, long bytesAfter,
                             Map<String, Double> smoothed) {

    public QuantizeReport {
        smoothed = Map.copyOf(smoothed);
        converted = Map.copyOf(converted);
        emitted = Map.copyOf(emitted);
        skipped = Map.copyOf(skipped);
        excluded = List.copyOf(excluded);
    }

    public int convertedCount() {
        return converted.values().stream().mapToInt(Integer::intValue).sum();
    }

    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("mode " + mode.id() + ": converted " + converted + " into " + emitted);
        skipped.forEach((reason, n) -> out.add("left in float: " + n + " x " + reason));
        if (!smoothed.isEmpty()) {
            out.add("smoothed activations: " + smoothed.size() + " (strengths " + new java.util.TreeSet<>(smoothed.values()) + ")");
        }
        if (!excluded.isEmpty()) {
            out.add("excluded by request: " + String.join(", ", excluded));
        }
        out.add(String.format("weights: %.1f MB -> %.1f MB", bytesBefore / 1e6, bytesAfter / 1e6));
        return out;
    }
}
