package dev.peregrine.optimize.quantize;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link Int8Quantizer} quantizes.
 *
 * @param perChannel   one weight scale per output column instead of one per matrix
 * @param reduceRange  7-bit weights (-63..63), for CPUs without VNNI whose u8s8 instructions
 *                     saturate 16-bit intermediate sums; costs accuracy, so off by default
 * @param attention    quantize fused {@code Attention} into {@code QAttention}
 * @param exclude      node names to leave in float; {@code *} matches any run of characters
 * @param smoothing    activation smoothing (needs calibration activations); see {@link Smoothing}
 */
public record QuantizeOptions(boolean perChannel, boolean reduceRange, boolean attention, List<String> exclude,
                              Smoothing smoothing) {

    public QuantizeOptions {
        exclude = List.copyOf(Objects.requireNonNull(exclude, "exclude"));
        Objects.requireNonNull(smoothing, "smoothing");
    }

    /** Per-tensor, full range, attention quantized, nothing excluded, no smoothing. */
    public static QuantizeOptions defaults() {
        return new QuantizeOptions(false, false, true, List.of(), Smoothing.off());
    }

    /**
     * What Peregrine uses unless told otherwise: per-channel weights (per-tensor loses far more: mean
     * cosine 0.93 against 0.99 on all-MiniLM-L6-v2) and LayerNorm-output smoothing at strength 0.6.
     */
    public static QuantizeOptions recommended() {
        return new QuantizeOptions(true, false, true, List.of(), Smoothing.fixed(DEFAULT_SMOOTHING));
    }

    /** The smoothing strength of {@link #recommended()}: best mean and worst-case cosine on MiniLM and BGE. */
    public static final double DEFAULT_SMOOTHING = 0.6;

    public QuantizeOptions withPerChannel(boolean on) {
        return new QuantizeOptions(on, reduceRange, attention, exclude, smoothing);
    }

    public QuantizeOptions withReduceRange(boolean on) {
        return new QuantizeOptions(perChannel, on, attention, exclude, smoothing);
    }

    public QuantizeOptions withAttention(boolean on) {
        return new QuantizeOptions(perChannel, reduceRange, on, exclude, smoothing);
    }

    public QuantizeOptions withExclude(List<String> names) {
        return new QuantizeOptions(perChannel, reduceRange, attention, names, smoothing);
    }

    public QuantizeOptions withSmoothing(Smoothing value) {
        return new QuantizeOptions(perChannel, reduceRange, attention, exclude, value);
    }

    /** True when {@code nodeName} matches one of the exclusion patterns. */
    public boolean excludes(String nodeName) {
        for (String pattern : exclude) {
            if (pattern.equals(nodeName) || (pattern.contains("*") && glob(pattern).matcher(nodeName).matches())) {
                return true;
            }
        }
        return false;
    }

    private static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (re.length() > 0) {
                re.append(".*");
            }
            re.append(Pattern.quote(part));
        }
        return Pattern.compile(re.toString());
    }
}
