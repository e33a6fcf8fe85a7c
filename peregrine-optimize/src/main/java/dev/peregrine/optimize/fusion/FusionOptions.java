package dev.peregrine.optimize.fusion;

import java.util.Objects;

/**
 * Which transformer fusions {@link TransformerOptimizer} applies.
 *
 * @param attention      self-attention into {@code Attention}
 * @param skipLayerNorm  residual Add + LayerNorm into {@code SkipLayerNormalization}
 * @param gelu           how to fuse GELU
 * @param embedLayerNorm embedding lookups + LayerNorm into {@code EmbedLayerNormalization}
 * @param verify         run the original and rewritten graphs on a probe input and undo the rewrite
 *                       if their outputs differ by more than {@link TransformerOptimizer#TOLERANCE}
 */
public record FusionOptions(boolean attention, boolean skipLayerNorm, GeluMode gelu, boolean embedLayerNorm,
                            boolean verify) {

    public FusionOptions {
        Objects.requireNonNull(gelu, "gelu");
    }

    /**
     * The fusions that pay on CPU (measured, see docs/benchmarks.md): attention, skip layer norm and
     * exact GELU. EmbedLayerNormalization is exact but saves nothing measurable, so it is off.
     */
    public static FusionOptions defaults() {
        return new FusionOptions(true, true, GeluMode.EXACT, false, true);
    }

    /** Every fusion on. */
    public static FusionOptions all() {
        return new FusionOptions(true, true, GeluMode.EXACT, true, true);
    }

    public FusionOptions withAttention(boolean on) {
        return new FusionOptions(on, skipLayerNorm, gelu, embedLayerNorm, verify);
    }

    public FusionOptions withSkipLayerNorm(boolean on) {
        return new FusionOptions(attention, on, gelu, embedLayerNorm, verify);
    }

    public FusionOptions withGelu(GeluMode mode) {
        return new FusionOptions(attention, skipLayerNorm, mode, embedLayerNorm, verify);
    }

    public FusionOptions withEmbedLayerNorm(boolean on) {
        return new FusionOptions(attention, skipLayerNorm, gelu, on, verify);
    }

    public FusionOptions withVerify(boolean on) {
        return new FusionOptions(attention, skipLayerNorm, gelu, embedLayerNorm, on);
    }
}
