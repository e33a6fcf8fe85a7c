package dev.peregrine.optimize.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Objects;

/**
 * Static (batch-invariant) INT8: the same int8 weights as {@link Int8Quantizer}, but each product's
 * input activation is quantized to uint8 with a fixed scale and zero point taken from calibration
 * ranges ({@link ActivationRange}, min-max after smoothing) instead of from the batch at hand. With
 * dynamic INT8 one scale is chosen per batch, so a text's vector depends on the texts it was batched
 * with (min cosine 0.955 alone against inside a batch on all-MiniLM-L6-v2); here it does not, so
 * cached answers do not depend on batching either.
 *
 * <p>The form is the one ONNX Runtime's own QDQ transformer turns {@code DequantizeLinear -> MatMul}
 * into on CPU, written out directly so it does not depend on the session's optimization level:
 *
 * <ul>
 *   <li>one {@code QuantizeLinear} per activation (shared by every product reading it), uint8 with a
 *       constant scalar scale and zero point;</li>
 *   <li>{@code MatMul}/{@code Gemm} with a constant weight -> {@code com.microsoft.MatMulIntegerToFloat}
 *       (u8 activations x s8 weights, per-column weight scales, the following bias Add folded in);</li>
 *   <li>fused {@code Attention} -> {@code QAttention} with the constant input scale (its Q/K/V projection
 *       runs as one int8 GEMM; scores and softmax stay float inside the op, as in dynamic INT8).</li>
 * </ul>
 *
 * The weight range (full 8-bit or 7-bit, {@link QuantizeOptions#reduceRange()}) is the caller's
 * choice, made per target CPU. Stateless and thread-safe.
 */
public final class StaticInt8Quantizer {

    private StaticInt8Quantizer() {
    }

    /**
     * The activations a calibration run must observe: every input of a product this quantizer would
     * convert ({@link Calibrator#collect} measures their signed per-channel ranges).
     */
    public static List<String> inputsToCalibrate(ModelProto model, QuantizeOptions options) {
        return Int8Quantizer.inputsToCalibrate(model, options);
    }

    /**
     * Quantizes with fixed activation ranges; products whose input {@code stats} did not observe stay
     * float (reported as skipped). The result is loaded in ONNX Runtime before it is returned.
     *
     * @param stats calibration of {@link #inputsToCalibrate} on representative texts, with signed ranges
     *              (as {@link Calibrator#collect} measures them)
     * @throws IllegalArgumentException when {@code stats} has no signed ranges at all
     */
    public static Int8Quantizer.Result quantize(ModelProto model, QuantizeOptions options, ActivationStats stats) {
        Objects.requireNonNull(stats, "stats");
        if (stats.channelLow().isEmpty()) {
            throw new IllegalArgumentException("static INT8 needs calibrated activation ranges; these stats have none");
        }
        return Int8Quantizer.quantize(model, options, stats, QuantMode.INT8_STATIC);
    }
}
