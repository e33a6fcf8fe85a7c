package dev.peregrine.optimize.quantize;

import dev.peregrine.core.cpu.CpuTarget;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link Int8Quantizer} quantizes.
 *
 * @param perChannel   one weight scale per output column instead of one per matrix
 * @param reduceRange  7-bit weights (-63..63), for CPUs without VNNI whose u8s8 instructions
 *                     saturate 16-bit intermediate sums; {@link #forTarget} decides it per CPU
 * @param attention    quantize fused {@code Attention} into {@code QAttention}
 * @param exclude      node names to leave in float; {@code *} matches any run of characters
 * @param smoothing    activation smoothing (needs calibration activations); see {@link Smoothing}
 * @param target       the CPU class the model is made for (recorded in its metadata)
 */
public record QuantizeOptions(boolean perChannel, boolean reduceRange, boolean attention, List<String> exclude,
                              Smoothing smoothing, CpuTarget target) {

    public QuantizeOptions {
        exclude = List.copyOf(Objects.requireNonNull(exclude, "exclude"));
        Objects.requireNonNull(smoothing, "smoothing");
        Objects.requireNonNull(target, "target");
    }

    /** For this machine's CPU, with the weight range as given. */
    public QuantizeOptions(boolean perChannel, boolean reduceRange, boolean attention, List<String> exclude,
                           Smoothing smoothing) {
        this(perChannel, reduceRange, attention, exclude, smoothing, CpuTarget.detect());
    }

    /**
     * Per-tensor, attention quantized, nothing excluded, no smoothing, for this machine's CPU (7-bit
     * weights where its int8 products saturate; see {@link Int8Choice}).
     */
    public static QuantizeOptions defaults() {
        return new QuantizeOptions(false, false, true, List.of(), Smoothing.off()).forTarget(CpuTarget.detect());
    }

    /**
     * What Peregrine uses unless told otherwise, for this machine's CPU: per-channel weights
     * (per-tensor loses far more: mean cosine 0.93 against 0.99 on all-MiniLM-L6-v2), LayerNorm-output
     * smoothing at strength 0.6, and the weight range {@link Int8Choice} picks for the CPU.
     */
    public static QuantizeOptions recommended() {
        return recommendedFor(CpuTarget.detect());
    }

    /** {@link #recommended()} for a given CPU class. */
    public static QuantizeOptions recommendedFor(CpuTarget target) {
        return new QuantizeOptions(true, false, true, List.of(), Smoothing.fixed(DEFAULT_SMOOTHING)).forTarget(target);
    }

    /** For {@code cpu}: its target recorded, and the weight range {@link Int8Choice#forTarget} picks. */
    public QuantizeOptions forTarget(CpuTarget cpu) {
        return new QuantizeOptions(perChannel, Int8Choice.forTarget(cpu).reducedRange(), attention, exclude,
                smoothing, cpu);
    }

    /** The smoothing strength of {@link #recommended()}: best mean and worst-case cosine on MiniLM and BGE. */
    public static final double DEFAULT_SMOOTHING = 0.6;

    public QuantizeOptions withPerChannel(boolean on) {
        return new QuantizeOptions(on, reduceRange, attention, exclude, smoothing, target);
    }

    public QuantizeOptions withReduceRange(boolean on) {
        return new QuantizeOptions(perChannel, on, attention, exclude, smoothing, target);
    }

    public QuantizeOptions withAttention(boolean on) {
        return new QuantizeOptions(perChannel, reduceRange, on, exclude, smoothing, target);
    }

    public QuantizeOptions withExclude(List<String> names) {
        return new QuantizeOptions(perChannel, reduceRange, attention, names, smoothing, target);
    }

    public QuantizeOptions withSmoothing(Smoothing value) {
        return new QuantizeOptions(perChannel, reduceRange, attention, exclude, value, target);
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
