package dev.peregrine.optimize.quantize;

import java.util.Locale;

/** What {@code quantize} converts a model to. */
public enum QuantMode {
    /** int8 weights (symmetric), uint8 activations quantized at run time; fast on CPUs. */
    INT8_DYNAMIC("int8-dynamic"),
    /** float16 weights and arithmetic with float32 inputs and outputs; for GPUs (slow on CPU). */
    FP16("fp16");

    private final String id;

    QuantMode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static QuantMode parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (QuantMode m : values()) {
            if (m.id.equals(v) || m.name().equalsIgnoreCase(v.replace('-', '_'))) {
                return m;
            }
        }
        if (v.equals("int8")) {
            return INT8_DYNAMIC;
        }
        throw new IllegalArgumentException("unknown quantization mode '" + value + "': expected int8-dynamic or fp16");
    }

    @Override
    public String toString() {
        return id;
    }
}
