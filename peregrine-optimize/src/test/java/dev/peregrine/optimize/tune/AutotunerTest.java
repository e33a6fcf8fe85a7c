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

        java.util.List<String> log = new java.util.ArrayList<>();
        Autotuner.Result r = Autotuner.run(Models.minilm(), out.resolve("tuned"), o, log::add);

        // 4 variants built and validated, each one that passed timed (the original too), written:
        // "step k of n", n corrected once validation says how many are timed; the time left from step 2
        int n = 4 + (int) r.candidates().stream().filter(Autotuner.Candidate::passed).count() + 1;
        assertThat(log).hasSize(n);
        for (int k = 1; k <= 4; k++) {
            assertThat(log.get(k - 1)).startsWith("step " + k + " of 10: building and validating ");
        }
        for (int k = 5; k <= n; k++) {
            assertThat(log.get(k - 1)).startsWith("step " + k + " of " + n + ": ");
        }
        assertThat(log.get(n - 1)).contains("writing");
        assertThat(log.get(0)).doesNotContain("left");
        assertThat(log.subList(1, n)).allSatisfy(l -> assertThat(l).contains("left)"));
        assertThat(log).noneMatch(l -> l.contains("sweep") || l.contains("measuring"));

        assertThat(r.candidates()).extracting(Autotuner.Candidate::name)
                .containsExactly("original", "fp32-fused", "int8", "int8-unsmoothed", "int8-static");
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
        assertThat(hints.notes()).containsKeys("variant", "validated_on");
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
