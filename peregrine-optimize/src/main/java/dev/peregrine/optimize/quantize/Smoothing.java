package dev.peregrine.optimize.quantize;

import java.util.List;
import java.util.Locale;

/**
 * Activation smoothing before dynamic quantization (the SmoothQuant idea): divide input channel j
 * of a quantized product by {@code s_j = max|x_j|^a / max|w_j|^(1-a)} and multiply the weight's row
 * j by it. The product is unchanged, but a few outlier channels (BERT's LayerNorm outputs have
 * channels 15x larger than the median) no longer set the int8 scale of the whole activation.
 * Applied to products whose input comes straight out of a layer normalization, where those
 * outliers live; each costs one elementwise Mul.
 *
 * @param mode  off, a fixed strength for every product, or a strength chosen per product
 * @param alpha the strength for {@link Mode#FIXED}
 */
public record Smoothing(Mode mode, double alpha) {

    /** The strengths {@link Mode#AUTO} tries; 0 means leaving the product unsmoothed. */
    public static final List<Double> AUTO_CANDIDATES = List.of(0.0, 0.5, 0.6, 0.7, 0.8);

    public enum Mode {
        /** No smoothing. */
        OFF,
        /** The same strength for every product. */
        FIXED,
        /**
         * Per product, the strength (including none) whose simulated int8 product is closest to the
         * float one on calibration activations; a product is smoothed only when that cuts its error
         * by a clear margin, since smoothing costs one elementwise Mul.
         */
        AUTO
    }

    public Smoothing {
        if (mode == Mode.FIXED && !(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("smoothing strength must be in (0, 1), was " + alpha);
        }
    }

    public static Smoothing off() {
        return new Smoothing(Mode.OFF, 0);
    }

    public static Smoothing auto() {
        return new Smoothing(Mode.AUTO, 0);
    }

    public static Smoothing fixed(double alpha) {
        return new Smoothing(Mode.FIXED, alpha);
    }

    /** Parses {@code off}, {@code auto} or a strength such as {@code 0.7}. */
    public static Smoothing parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "off", "none", "0":
                return off();
            case "auto":
                return auto();
            default:
                try {
                    return fixed(Double.parseDouble(v));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("smoothing must be off, auto or a strength in (0, 1), was '"
                            + value + "'");
                }
        }
    }

    public boolean enabled() {
        return mode != Mode.OFF;
    }

    @Override
    public String toString() {
        return mode == Mode.FIXED ? Double.toString(alpha) : mode.name().toLowerCase(Locale.ROOT);
    }
}
