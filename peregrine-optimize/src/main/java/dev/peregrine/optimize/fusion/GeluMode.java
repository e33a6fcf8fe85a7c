package dev.peregrine.optimize.fusion;

import java.util.Locale;

/** How {@link TransformerOptimizer} rewrites the exact GELU exporters spell out. */
public enum GeluMode {
    /** Leave it as exported. */
    OFF,
    /** {@code Gelu} / {@code BiasGelu}: the same function, fused (the default). */
    EXACT,
    /** {@code FastGelu}: the tanh approximation with the bias folded in; slightly different results. */
    FAST;

    public static GeluMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown GELU mode '" + value + "': expected off, exact or fast");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
