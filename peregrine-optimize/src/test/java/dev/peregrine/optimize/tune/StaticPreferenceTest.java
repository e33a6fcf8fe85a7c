package dev.peregrine.optimize.tune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.Task;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** optimize keeps the static INT8 variant where it is about as fast and as faithful as the fastest dynamic one. */
class StaticPreferenceTest {

    private static Autotuner.Candidate candidate(String name, double mean, double itemsPerSecond) {
        ValidationReport r = new ValidationReport("ref", name, Task.EMBEDDING, 100,
                new ValidationReport.EmbeddingAgreement(0.98, mean, 0.985, 10, 0.9), null, true, List.of());
        return new Autotuner.Candidate(name, name, r, itemsPerSecond);
    }

    @Test
    void nearTie_goesToStatic_aClearLossDoesNot() {
        Autotuner.Candidate dynamic = candidate("int8", 0.995, 200);
        Autotuner.Candidate tiedStatic = candidate(Autotuner.STATIC, 0.995, 195);
        Autotuner.Candidate slowStatic = candidate(Autotuner.STATIC, 0.995, 150);

        assertThat(Autotuner.preferStatic(List.of(dynamic, tiedStatic), dynamic, ValidationOptions.defaults()))
                .isSameAs(tiedStatic);
        assertThat(Autotuner.preferStatic(List.of(dynamic, slowStatic), dynamic, ValidationOptions.defaults()))
                .isSameAs(dynamic);
    }

    @Test
    void float32Winner_isNeverReplaced() {
        Autotuner.Candidate fused = new Autotuner.Candidate("fp32-fused", "f", null, 300);
        Autotuner.Candidate st = candidate(Autotuner.STATIC, 0.995, 299);

        assertThat(Autotuner.preferStatic(List.of(fused, st), fused, ValidationOptions.defaults())).isSameAs(fused);
    }
}
