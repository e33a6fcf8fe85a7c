package dev.peregrine.optimize.fusion;

import java.util.Locale;

/** How {@link TransformerOptimizer} rewrites the exact GELU exporters spell out. */
public enum GeluMode {
    /** Leave it as exported. */
    OFF,
    /** {@code Gelu}: the same function, fused; a bias stays a separate Add (the default). */
    EXACT,
    /** {@code BiasGelu}: the same function with the bias Add folded in. */
    BIAS,
    /** {@code FastGelu}: the tanh approximation with the bias folded in; slightly different results. */
    FAST;

    public static GeluMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown GELU mode '" + value + "': expected off, exact, bias or fast");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
