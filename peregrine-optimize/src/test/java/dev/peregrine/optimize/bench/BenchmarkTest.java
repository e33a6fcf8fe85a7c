package dev.peregrine.optimize.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.optimize.testing.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's shape and bookkeeping on a few texts, one pass. No timing is asserted: speed is
 * for {@code peregrine bench} to print.
 */
class BenchmarkTest {

    @Test
    void tableHasEveryStep_inOrder_withFidelityAndRatios(@TempDir Path work) {
        List<String> log = new ArrayList<>();
        Benchmark.Options o = Benchmark.Options.defaults().withPasses(1).withSweep(false)
                .withCompare(List.of(Models.minilmPythonInt8()));

        BenchReport r = Benchmark.run(Models.minilm(), Models.fewTexts(), o, work, log::add);

        assertThat(r.steps()).extracting(BenchRow::step).containsExactly("baseline", "+ batching",
                "+ graph optimization", "+ our transformer fusions", "+ our INT8", "+ length-sorted batching");
        assertThat(r.comparisons()).extracting(BenchRow::step).containsExactly("compare: all-minilm-l6-v2-int8");
        BenchRow base = r.steps().get(0);
        assertThat(base.speedupVsBaseline()).isEqualTo(1.0);
        assertThat(base.speedupVsPrevious()).isNull();
        assertThat(base.fidelity()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        // float32 rows compute the same function; INT8 rows are close but not equal
        assertThat(r.steps().get(3).fidelity()).isGreaterThan(0.9999);
        assertThat(r.steps().get(4).fidelity()).isBetween(0.98, 0.99999);
        for (int i = 1; i < r.steps().size(); i++) {
            BenchRow row = r.steps().get(i);
            assertThat(row.speedupVsPrevious())
                    .isEqualTo(row.itemsPerSecond() / r.steps().get(i - 1).itemsPerSecond(),
                            org.assertj.core.data.Offset.offset(1e-9));
            assertThat(row.itemsPerSecond()).isPositive();
            assertThat(row.p99BatchMs()).isGreaterThanOrEqualTo(row.p50BatchMs());
        }
        assertThat(r.texts()).isEqualTo(12);
        assertThat(r.environment()).containsKeys("cpu", "isa", "int8_target", "cores", "onnxruntime", "date");
        assertThat(log).isNotEmpty();

        String markdown = ReportFormat.MARKDOWN.render(r);
        assertThat(markdown).contains("| step | items/s |").contains("| + our INT8 |");
        assertThat(ReportFormat.JSON.render(r)).contains("\"speedupVsBaseline\"");
        assertThat(ReportFormat.TABLE.render(r)).contains("+ length-sorted batching")
                .contains("cpu: " + r.environment().get("cpu") + " (" + r.environment().get("isa"));
    }

    @Test
    void sweep_stopsWhenTold_keepingWhatItMeasured() {
        List<String> log = new ArrayList<>();
        List<SweepRow> rows = Benchmark.sweep(Models.minilm(), Models.fewTexts(), Benchmark.Options.defaults().withPasses(1),
                log::add, () -> true);
        assertThat(rows).hasSize(1);
        assertThat(log).hasSize(1);
        assertThat(Benchmark.sweepSize(Benchmark.Options.defaults())).isGreaterThan(1);
    }

    @Test
    void percentiles_useNearestRank() {
        double[] v = {5, 1, 4, 2, 3};
        assertThat(Throughput.percentile(v, 0.5)).isEqualTo(3);
        assertThat(Throughput.percentile(v, 0.99)).isEqualTo(5);
        assertThat(Throughput.percentile(v, 0.2)).isEqualTo(1);
    }
}
