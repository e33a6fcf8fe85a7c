package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.optimize.bench.BenchReport;
import dev.peregrine.optimize.bench.BenchRow;
import dev.peregrine.optimize.bench.Benchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench's whole table on a tiny fixture: PyTorch eager first, the distilled student last. No timing asserted. */
class BenchRowsTest {

    @TempDir
    Path dir;

    @Test
    void table_startsWithPyTorchEager_equalToOnnxRuntime_andEndsWithTheStudent() {
        ModelFolder teacher = LayerDistillerTest.fixture("bert-base-opset14");
        Path student = dir.resolve("student");
        LayerDistiller.distill(teacher, LayerDistillerTest.texts(), LayerDistillerTest.tiny(5), student,
                new LayerDistiller.Listener() { }, System::nanoTime);
        List<String> texts = Fixtures.variedTexts().subList(0, 12);
        Benchmark.Options o = Benchmark.Options.defaults().withPasses(1).withSweep(false)
                .withEager(new TorchRuntime(0)).withStudent(ModelFolder.open(student));
        BenchReport r = Benchmark.run(teacher, texts, o, dir.resolve("work"), line -> { });

        assertThat(r.steps()).extracting(BenchRow::step).containsExactly("PyTorch eager, one text at a time",
                "PyTorch eager, batched", "baseline", "+ batching", "+ graph optimization",
                "+ our transformer fusions", "+ our INT8", "+ length-sorted batching", "+ distilled student");
        assertThat(r.steps().get(0).setup()).contains("PyTorch 2.7.1");
        assertThat(r.steps().get(1).fidelity()).isGreaterThan(0.99999);
        assertThat(r.steps().get(2).fidelity()).as("ONNX Runtime vs PyTorch, same weights").isGreaterThan(0.99999);
        assertThat(r.steps().get(8).fidelity()).isBetween(0.0, 0.99999);
        assertThat(r.steps().get(8).setup()).contains("1 of 2");
        assertThat(r.notes()).anyMatch(n -> n.startsWith("PyTorch eager vs ONNX Runtime") && n.contains("max |diff|"));
        double diff = Double.parseDouble(r.notes().stream().filter(n -> n.startsWith("PyTorch eager vs"))
                .findFirst().orElseThrow().replaceAll(".*max \\|diff\\| ", ""));
        assertThat(diff).isLessThan(1e-4);
    }

    @Test
    void aQuickLook_judgesPyTorchEagerOnEveryText_inTheBatchesOnnxRuntimeRuns() {
        ModelFolder teacher = LayerDistillerTest.fixture("bert-base-opset14");
        List<String> texts = Fixtures.variedTexts().subList(0, 12);
        Benchmark.Options o = Benchmark.Options.defaults().withPasses(1).withSweep(false)
                .withEager(new TorchRuntime(0)).withTimedTexts(4);
        List<String> log = new ArrayList<>();
        BenchReport r = Benchmark.run(teacher, texts, o, dir.resolve("quick"), log::add);

        assertThat(r.timedTexts()).isEqualTo(4);
        assertThat(r.steps().get(0).step()).isEqualTo("PyTorch eager, one text at a time");
        assertThat(log).contains("fidelity outputs of PyTorch eager, batched for all 12 texts, in length-sorted batches");
        assertThat(r.steps().get(2).fidelity()).as("ONNX Runtime vs PyTorch, same weights").isGreaterThan(0.99999);
        String note = r.notes().stream().filter(n -> n.startsWith("PyTorch eager vs")).findFirst().orElseThrow();
        assertThat(note).contains("the same length-sorted batches of all 12 texts");
        assertThat(Double.parseDouble(note.replaceAll(".*max \\|diff\\| ", ""))).isLessThan(1e-4);
    }

    @Test
    void aModelPyTorchCannotRun_losesOnlyItsEagerRows_withTheReason() {
        ModelFolder xlmr = LayerDistillerTest.fixture("xlm-roberta-base-opset14");
        Benchmark.Options o = Benchmark.Options.defaults().withPasses(1).withSweep(false).withEager(new TorchRuntime(0));
        BenchReport r = Benchmark.run(xlmr, Fixtures.variedTexts().subList(0, 6), o, dir.resolve("w2"), line -> { });
        assertThat(r.steps().get(0).step()).isEqualTo("baseline");
        List<String> notes = new ArrayList<>(r.notes());
        assertThat(notes).anyMatch(n -> n.startsWith("PyTorch eager, one text at a time: left out") && n.contains("XLM-R"));
    }
}
