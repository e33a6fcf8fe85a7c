package dev.peregrine.optimize.quantize;

import dev.peregrine.core.cpu.CpuTarget;
import java.util.Objects;

/**
 * What INT8 format is faithful and fast on a target CPU. A pure function of the target, so the
 * choice for every CPU class is pinned by tests and recorded in the model.
 *
 * <p>The rule: x86 without VNNI or AMX (AVX2, AVX-512F/BW) multiplies uint8 activations by int8
 * weights with {@code vpmaddubsw}, which adds pairs of products in 16 bits and saturates; ONNX
 * Runtime's quantization guide recommends 7-bit weights there, and measured on an AVX2-only EPYC
 * they both pass the fidelity bar (mean cosine 0.993 against 0.983 on all-MiniLM-L6-v2) and run
 * faster. VNNI, AMX and ARM's dot-product and NEON kernels accumulate in 32 bits, so full 8-bit
 * weights keep more precision there.
 *
 * @param target       the CPU class
 * @param reducedRange 7-bit weights (-63..63) instead of 8-bit (-127..127)
 * @param formats      the operator formats used, as recorded in the model
 * @param reason       why, in one sentence
 */
public record Int8Choice(CpuTarget target, boolean reducedRange, String formats, String reason) {

    /** What the dynamic INT8 quantizer emits on every target. */
    public static final String DYNAMIC_FORMATS = "uint8 activations x int8 weights (DynamicQuantizeMatMul, "
            + "MatMulIntegerToFloat, QAttention)";
    /** What the static INT8 quantizer emits on every target. */
    public static final String STATIC_FORMATS = "uint8 activations with calibrated scales x int8 weights "
            + "(QuantizeLinear + MatMulIntegerToFloat, QAttention)";

    /** The operator formats an INT8 mode writes (both are u8 x s8, so the weight-range rule holds for both). */
    public static String formats(QuantMode mode) {
        return mode == QuantMode.INT8_STATIC ? STATIC_FORMATS : DYNAMIC_FORMATS;
    }

    public Int8Choice {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(formats, "formats");
        Objects.requireNonNull(reason, "reason");
    }

    public static Int8Choice forTarget(CpuTarget target) {
        if (target.saturatingInt8()) {
            return new Int8Choice(target, true, DYNAMIC_FORMATS, target.description()
                    + ": u8 x s8 products add in 16 bits and saturate, so weights use 7 bits");
        }
        return new Int8Choice(target, false, DYNAMIC_FORMATS, target.description()
                + ": int8 products accumulate in 32 bits, so weights use the full 8 bits");
    }

    /** {@code reduced} or {@code full}, as recorded in the graph's metadata. */
    public String weightRange() {
        return reducedRange ? "reduced" : "full";
    }
}
