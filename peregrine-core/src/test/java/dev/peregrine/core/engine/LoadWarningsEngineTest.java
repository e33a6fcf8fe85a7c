package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An engine loading a model made for another CPU class says so in its info, with the fix. */
class LoadWarningsEngineTest {

    @Test
    void modelMadeForAnotherCpuClass_carriesAWarning_andAPlainModelNone(@TempDir Path dir) throws Exception {
        Path plain = Fixtures.tinyClassifier(dir.resolve("plain"), Fixtures.TinyWeights.of(2, 3), List.of("a", "b"), false);
        Path foreign = Fixtures.tinyClassifier(dir.resolve("foreign"), Fixtures.TinyWeights.of(2, 3), List.of("a", "b"),
                false);
        // A target this machine is not: ARM on x86 and the other way round.
        CpuTarget other = CpuFeatures.detect().arm64() ? CpuTarget.AVX512_VNNI : CpuTarget.ARM64_DOT;
        Path onnx = foreign.resolve("model.onnx");
        OnnxModel.write(OnnxModel.withMetadata(OnnxModel.read(onnx), Map.of(CpuTarget.METADATA_KEY, other.id(),
                LoadWarnings.WEIGHT_RANGE_KEY, "full")), onnx);

        try (Engine p = Engine.open(ModelFolder.open(plain));
             Engine f = Engine.open(ModelFolder.open(foreign));
             Engine again = Engine.open(ModelFolder.open(foreign))) {
            assertThat(p.info().warnings()).isEmpty();
            if (CpuFeatures.detect().known()) {
                assertThat(f.info().warnings()).singleElement().asString().contains("quantized for " + other.id())
                        .contains("--target-cpu auto");
                assertThat(again.info().warnings()).isEqualTo(f.info().warnings());
            } else {
                assertThat(f.info().warnings()).isEmpty();  // nothing can be said about an unknown CPU
            }
        }
    }
}
