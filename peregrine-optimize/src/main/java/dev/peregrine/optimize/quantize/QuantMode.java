package dev.peregrine.optimize.quantize;

import java.util.Locale;

/** What {@code quantize} converts a model to. */
public enum QuantMode {
    /** int8 weights (symmetric), uint8 activations quantized at run time; fast on CPUs. */
    INT8_DYNAMIC("int8-dynamic"),
    /**
     * int8 weights, uint8 activations with fixed ranges calibrated beforehand: a text's result does not
     * depend on the texts batched with it. See {@link StaticInt8Quantizer}.
     */
    INT8_STATIC("int8-static"),
    /** float16 weights and arithmetic with float32 inputs and outputs; for GPUs (slow on CPU). */
    FP16("fp16");

    private final String id;

    QuantMode(String id) {
        this.id = id;
    }

    /** True for the modes {@link Int8Quantizer} and {@link StaticInt8Quantizer} make. */
    public boolean isInt8() {
        return this == INT8_DYNAMIC || this == INT8_STATIC;
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
        throw new IllegalArgumentException("unknown quantization mode '" + value + "': expected int8-dynamic, int8-static or fp16");
    }

    @Override
    public String toString() {
        return id;
    }
}
