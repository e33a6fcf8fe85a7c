package dev.peregrine.cli;

import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.GeluMode;
import picocli.CommandLine.Option;

/** Which transformer fusions to apply, declared once for optimize-graph, quantize and bench. */
final class FusionFlags {

    @Option(names = "--attention", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Fuse self-attention into com.microsoft.Attention (QAttention after INT8). Default: on.")
    boolean attention;

    @Option(names = "--skip-layer-norm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Fuse residual Add + LayerNorm into SkipLayerNormalization. Default: on.")
    boolean skipLayerNorm;

    @Option(names = "--gelu", paramLabel = "MODE", defaultValue = "exact",
            description = "GELU fusion: exact (Gelu; the bias stays for the next step to fold), bias (BiasGelu), "
                    + "fast (FastGelu, tanh approximation, slightly different results) or off. Default: ${DEFAULT-VALUE}.")
    String gelu;

    @Option(names = "--embed-layer-norm", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Fuse embeddings + LayerNorm into EmbedLayerNormalization (exact, but no faster on CPU). "
                    + "Default: off.")
    boolean embedLayerNorm;

    FusionOptions options() {
        return new FusionOptions(attention, skipLayerNorm, GeluMode.parse(gelu), embedLayerNorm, true);
    }
}
