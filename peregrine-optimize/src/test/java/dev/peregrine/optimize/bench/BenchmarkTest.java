package dev.peregrine.optimize.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.BatchPlanner;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.optimize.testing.Models;
import dev.peregrine.optimize.validate.Validator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.data.Offset;
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
        assertThat(r.timedTexts()).as("several texts, no sample asked: every text timed").isEqualTo(12);
        assertThat(r.timedTokens()).isEqualTo(r.tokens());
        assertThat(r.timing()).startsWith("every row timed on all 12 texts, 1 pass");
        assertThat(log).noneMatch(l -> l.startsWith("fidelity outputs"));
        assertThat(r.environment()).containsKeys("cpu", "isa", "int8_target", "cores", "onnxruntime", "date");
        assertThat(log).isNotEmpty();

        String markdown = ReportFormat.MARKDOWN.render(r);
        assertThat(markdown).contains("| step | items/s |").contains("| + our INT8 |");
        assertThat(ReportFormat.JSON.render(r)).contains("\"speedupVsBaseline\"");
        assertThat(ReportFormat.TABLE.render(r)).contains("+ length-sorted batching")
                .contains("cpu: " + r.environment().get("cpu") + " (" + r.environment().get("isa"));
    }

    @Test
    void aQuickLook_timesEveryRowOnTheSameSample_andJudgesFidelityOnAllTexts(@TempDir Path work) {
        List<String> texts = Models.fewTexts();
        CountingRuntime counted = new CountingRuntime();
        List<String> log = new ArrayList<>();
        Benchmark.Options o = Benchmark.Options.defaults().withPasses(1).withSweep(false).withTimedTexts(5)
                .withEager(counted);

        BenchReport r = Benchmark.run(Models.minilm(), texts, o, work, log::add);

        assertThat(r.texts()).isEqualTo(12);
        assertThat(r.timedTexts()).isEqualTo(5);
        List<EncodedText> encoded;
        float[][] reference;
        float[][] int8;
        try (Engine teacher = Engine.open(Models.minilm());
             Engine quantized = Engine.open(ModelFolder.open(work, "int8", "all-minilm-l6-v2-int8"))) {
            encoded = teacher.encode(texts);
            // the benchmark's fidelity pass: all texts in length-sorted batches (INT8's activation scales are per batch)
            reference = inSortedBatches(teacher, encoded);
            int8 = inSortedBatches(quantized, encoded);
        }
        int[] sample = TimedSample.of(encoded.stream().mapToInt(EncodedText::length).toArray(), 5, Benchmark.SAMPLE_SEED);
        assertThat(r.timedTokens()).isEqualTo(Arrays.stream(sample).map(i -> encoded.get(i).length()).sum())
                .isLessThan(r.tokens());
        assertThat(r.timing()).contains("every row timed on the same 5 of the 12 texts")
                .contains("fidelity on all 12 texts");
        assertThat(ReportFormat.TABLE.render(r)).contains(r.timing());
        assertThat(ReportFormat.JSON.render(r)).contains("\"timedTexts\" : 5").contains("\"timing\" : \"every row timed");

        // the eager runtime ran every text once for fidelity (both its rows share those outputs), one text
        // to warm the one-at-a-time row up, and then only the sample, once per row
        assertThat(counted.texts.get()).isEqualTo(12 + 1 + 5 + 5);
        assertThat(log).filteredOn(l -> l.startsWith("fidelity outputs of")).hasSize(5)
                .allMatch(l -> l.contains("for all 12 texts"));

        BenchRow quantizedRow = r.steps().stream().filter(b -> b.step().equals("+ our INT8")).findFirst().orElseThrow();
        double allTexts = Validator.embeddings(reference, int8, 1).cosineMean();
        double sampleOnly = Validator.embeddings(Arrays.stream(sample).mapToObj(i -> reference[i]).toArray(float[][]::new),
                Arrays.stream(sample).mapToObj(i -> int8[i]).toArray(float[][]::new), 1).cosineMean();
        assertThat(allTexts).as("the check can tell the two apart").isNotCloseTo(sampleOnly, Offset.offset(1e-5));
        assertThat(quantizedRow.fidelity()).isCloseTo(allTexts, Offset.offset(1e-6));
        assertThat(r.steps().get(r.steps().size() - 1).fidelity()).as("length-sorted: the same INT8 outputs")
                .isEqualTo(quantizedRow.fidelity());
        assertThat(r.steps()).extracting(BenchRow::step).containsExactly("PyTorch eager, one text at a time",
                "PyTorch eager, batched", "baseline", "+ batching", "+ graph optimization", "+ our transformer fusions",
                "+ our INT8", "+ length-sorted batching");
        assertThat(r.steps().subList(0, 6)).allSatisfy(b -> assertThat(b.fidelity()).isGreaterThan(0.9999));
        assertThat(r.steps()).allSatisfy(b -> assertThat(b.itemsPerSecond()).isPositive());
        assertThat(r.notes()).anyMatch(n -> n.contains("the same length-sorted batches of all 12 texts"));
    }

    @Test
    void aOnePassRun_isAQuickLook_bydefault_andSeveralPassesTimeEverything() {
        assertThat(Benchmark.Options.defaultTimedTexts(1)).isEqualTo(Benchmark.QUICK_TIMED_TEXTS);
        assertThat(Benchmark.Options.defaultTimedTexts(3)).isZero();
        assertThat(Benchmark.Options.defaults().timedTexts()).isZero();
    }

    private static float[][] inSortedBatches(Engine engine, List<EncodedText> texts) {
        float[][] out = new float[texts.size()][];
        for (int[] batch : BatchPlanner.plan(texts.stream().mapToInt(EncodedText::length).toArray(),
                EngineOptions.DEFAULT_MAX_BATCH_SIZE, EngineOptions.DEFAULT_MAX_BATCH_TOKENS, true)) {
            float[][] rows = engine.forward(Arrays.stream(batch).mapToObj(texts::get).toList());
            for (int k = 0; k < batch.length; k++) {
                out[batch[k]] = rows[k];
            }
        }
        return out;
    }

    /** ONNX Runtime in the eager rows' place, counting the texts it is asked to run. */
    private static final class CountingRuntime implements EagerRuntime {
        final AtomicInteger texts = new AtomicInteger();

        @Override
        public String describe() {
            return "ONNX Runtime, counted";
        }

        @Override
        public Forward open(ModelFolder folder, ModelInfo info) {
            Engine engine = Engine.open(folder);
            return new Forward() {
                @Override
                public float[][] forward(List<EncodedText> batch) {
                    texts.addAndGet(batch.size());
                    return engine.forward(batch);
                }

                @Override
                public void close() {
                    engine.close();
                }
            };
        }
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
