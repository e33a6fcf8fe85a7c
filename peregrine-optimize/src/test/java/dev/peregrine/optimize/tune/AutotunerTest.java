package dev.peregrine.optimize.tune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.validate.ValidationOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The autotuner end to end on the default model, with few texts and no sweep to stay quick. */
class AutotunerTest {

    @Test
    void writesAFaithfulVariant_itsOrtGraph_andServingHints(@TempDir Path out) {
        Autotuner.Options o = new Autotuner.Options(ValidationOptions.defaults(), Models.fewTexts(),
                DefaultTexts.calibration(), 1, false);

        Autotuner.Result r = Autotuner.run(Models.minilm(), out.resolve("tuned"), o, line -> { });

        assertThat(r.candidates()).extracting(Autotuner.Candidate::name)
                .containsExactly("original", "fp32-fused", "int8", "int8-unsmoothed");
        assertThat(r.chosen().passed()).isTrue();
        assertThat(r.candidates().stream().filter(Autotuner.Candidate::passed))
                .allSatisfy(c -> assertThat(c.itemsPerSecond()).isPositive());
        Path folder = out.resolve("tuned");
        assertThat(folder.resolve("model.onnx")).exists();
        assertThat(folder.resolve(Autotuner.ORT_OPTIMIZED)).exists();
        assertThat(folder.resolve(".candidates")).doesNotExist();
        ServingHints hints = ServingHints.read(folder).orElseThrow();
        assertThat(hints.variant()).isEqualTo("model");
        assertThat(hints.optimizedModel()).isEqualTo(Autotuner.ORT_OPTIMIZED);
        assertThat(hints.notes()).containsKey("variant");
        assertThat(r.lines()).anyMatch(l -> l.startsWith("chose " + r.chosen().name()));

        // ONNX Runtime's saved graph loads with optimization off and embeds like the chosen model.
        try (Engine saved = Engine.open(ModelFolder.open(folder, Autotuner.ORT_OPTIMIZED, null),
                EngineOptions.builder().graphOptimization(GraphOptimization.NONE).build());
             Engine chosen = Engine.open(ModelFolder.open(folder), EngineOptions.defaults())) {
            float[] a = saved.embed(java.util.List.of("Where is my package?")).get(0);
            float[] b = chosen.embed(java.util.List.of("Where is my package?")).get(0);
            assertThat(dev.peregrine.core.engine.Vectors.cosine(a, b)).isGreaterThan(0.9999);
        }
    }
}
