package dev.peregrine.optimize.gate;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code quantize} may change when an INT8 candidate fails the fidelity gate, tried in this
 * order (the cheapest in speed first): 7-bit weights, other smoothing strengths, per-channel
 * scales, and last keeping in float the products that hurt most (measured one by one), which costs
 * the most speed.
 */
public enum Remedy {
    /** 7-bit weights: no saturation on any CPU, a little less precision. */
    REDUCE_RANGE("reduce-range"),
    /** Other LayerNorm-output smoothing strengths: auto (per product), stronger, none. */
    SMOOTHING("smoothing"),
    /** One weight scale per output column. */
    PER_CHANNEL("per-channel"),
    /** Keep the products whose own quantization moves the output most in float. */
    KEEP_FLOAT("keep-float");

    private final String id;

    Remedy(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Parses {@code all}, {@code none} or a comma-separated list of ids. */
    public static Set<Remedy> parseList(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("all")) {
            return EnumSet.allOf(Remedy.class);
        }
        Set<Remedy> out = EnumSet.noneOf(Remedy.class);
        if (v.equals("none") || v.isEmpty()) {
            return out;
        }
        for (String part : v.split(",")) {
            String p = part.trim();
            Remedy found = null;
            for (Remedy r : values()) {
                if (r.id.equals(p)) {
                    found = r;
                }
            }
            if (found == null) {
                List<String> ids = new ArrayList<>();
                for (Remedy r : values()) {
                    ids.add(r.id);
                }
                throw new IllegalArgumentException("unknown remedy '" + p + "': expected all, none or a list of "
                        + String.join(", ", ids));
            }
            out.add(found);
        }
        return out;
    }

    @Override
    public String toString() {
        return id;
    }
}
