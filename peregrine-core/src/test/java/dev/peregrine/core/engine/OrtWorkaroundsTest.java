package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Graphs that would crash ONNX Runtime's optimizers are recognized before the session is made (the
 * ModernBERT fixture at opset 17 killed the test JVM before this existed).
 */
class OrtWorkaroundsTest {

    private static Path model(String fixture) throws URISyntaxException {
        return Path.of(Objects.requireNonNull(OrtWorkaroundsTest.class.getResource(
                "/architectures/" + fixture + "/model.onnx")).toURI());
    }

    @Test
    void biasFreeLayerNormalization_disablesSkipLayerNormFusion() throws Exception {
        assertThat(OrtWorkarounds.optimizersToDisable(model("modernbert-base-opset17")))
                .containsExactly(OrtWorkarounds.SKIP_LAYER_NORM_FUSION);
    }

    @Test
    void layerNormalizationWithBias_disablesNothing() throws Exception {
        assertThat(OrtWorkarounds.optimizersToDisable(model("bert-base-opset17"))).isEmpty();
        // opset 14 writes LayerNorm decomposed: no LayerNormalization node at all
        assertThat(OrtWorkarounds.optimizersToDisable(model("modernbert-base-opset14"))).isEmpty();
    }

    @Test
    void unreadableFile_disablesNothing_andLeavesTheErrorToOnnxRuntime(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path junk = dir.resolve("model.onnx");
        java.nio.file.Files.write(junk, new byte[] {(byte) 0xff, (byte) 0xff, 0x01, 0x02});
        assertThat(OrtWorkarounds.optimizersToDisable(junk)).isEmpty();
        assertThat(OrtWorkarounds.optimizersToDisable(dir.resolve("missing.onnx"))).isEmpty();
    }
}
