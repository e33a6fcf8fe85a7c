package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Students of the tiny architecture fixtures, trained for a few steps. */
class LayerDistillerTest {

    @TempDir
    Path dir;

    static List<String> texts() {
        List<String> texts = new ArrayList<>(Fixtures.variedTexts());
        return texts;
    }

    static DistillOptions tiny(long seed) {
        return DistillOptions.defaults().withLayers(1, LayerSelection.UNIFORM).withTraining(1, 8, 32, 1e-3)
                .withLimits(null, seed, 0, 8, 1);
    }

    static ModelFolder fixture(String name) {
        return ModelFolder.open(TorchParityTest.fixture(name));
    }

    @Test
    void embedderStudent_isWrittenAsOnnx_thatOnnxRuntimeRunsLikeThePyTorchStudent() throws Exception {
        Path out = dir.resolve("student");
        List<Integer> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        LayerDistiller.Result r = LayerDistiller.distill(fixture("bert-base-opset14"), texts(), tiny(7), out,
                new LayerDistiller.Listener() {
                    @Override
                    public void step(int done, double loss) {
                        steps.add(done);
                    }

                    @Override
                    public void note(String line) {
                        notes.add(line);
                    }
                }, System::nanoTime);
        assertThat(notes).anySatisfy(n -> assertThat(n).matches(
                "time per step: teacher forward \\d+ ms, student forward and backward \\d+ ms, update \\d+ ms "
                        + "\\(mean of " + r.steps() + " steps\\)"));
        assertThat(r.kept()).containsExactly(1);
        assertThat(r.steps()).isEqualTo(r.plannedSteps()).isEqualTo(steps.size()).isGreaterThan(2);
        assertThat(r.parityMaxDiff()).isLessThan(1e-4);
        assertThat(r.studentParity()).as("written ONNX vs PyTorch student").isLessThan(1e-4);
        assertThat(r.lastLoss()).as("training lowers the loss").isLessThan(r.firstLoss());
        OnnxGraph student = OnnxGraph.of(OnnxModel.read(out.resolve("model.onnx")));
        OnnxGraph teacher = OnnxGraph.of(OnnxModel.read(fixture("bert-base-opset14").onnxFile()));
        assertThat(EncoderLayout.norms(student)).hasSize(3);
        assertThat(EncoderLayout.norms(teacher)).hasSize(5);
        assertThat(Files.readString(out.resolve("config.json"))).contains("\"num_hidden_layers\" : 1");
        assertThat(Files.exists(out.resolve("tokenizer.json"))).isTrue();
        try (Engine e = Engine.open(ModelFolder.open(out))) {
            assertThat(e.info().graphMetadata()).containsEntry("peregrine.distill.layers", "1 of 2 [2]");
        }
    }

    @Test
    void classifierStudent_keepsTheHeadAndMatchesItsPyTorchForward() throws Exception {
        Path out = dir.resolve("classifier");
        LayerDistiller.Result r = LayerDistiller.distill(fixture("bert-classifier-opset17"), texts(), tiny(3), out,
                new LayerDistiller.Listener() { }, System::nanoTime);
        assertThat(r.studentParity()).isLessThan(1e-4);
        assertThat(r.fidelity().classification()).isNotNull();
        try (Engine e = Engine.open(ModelFolder.open(out))) {
            assertThat(e.info().labels()).containsExactly("negative", "neutral", "positive");
        }
    }

    @Test
    void sameSeed_sameStudent_otherSeed_otherStudent() throws Exception {
        byte[][] bytes = new byte[3][];
        long[] seeds = {11, 11, 12};
        for (int i = 0; i < 3; i++) {
            Path out = dir.resolve("s" + i);
            LayerDistiller.distill(fixture("distilbert-base-opset17"), texts(), tiny(seeds[i]), out,
                    new LayerDistiller.Listener() { }, System::nanoTime);
            bytes[i] = Files.readAllBytes(out.resolve("model.onnx"));
        }
        assertThat(bytes[1]).isEqualTo(bytes[0]);
        assertThat(bytes[2]).isNotEqualTo(bytes[0]);
    }

    @Test
    void timeBudget_stopsTrainingEarly_andStillWritesAStudent() throws Exception {
        long[] clock = {0};
        Path out = dir.resolve("budget");
        // Each reading of the clock advances it 1 s: the 3 s budget ends training after a step or two.
        LayerDistiller.Result r = LayerDistiller.distill(fixture("bert-base-opset17"), texts(),
                tiny(1).withLimits(Duration.ofSeconds(3), 1, 0, 8, 1), out, new LayerDistiller.Listener() { },
                () -> clock[0] += 1_000_000_000L);
        assertThat(r.budgetStopped()).isTrue();
        assertThat(r.steps()).isLessThan(r.plannedSteps()).isGreaterThanOrEqualTo(1);
        assertThat(Files.exists(out.resolve("model.onnx"))).isTrue();
    }

    @Test
    void aBudgetThatCutsTheRun_getsTheLearningRateDecayFittedToTheStepsItAllows() throws Exception {
        long[] clock = {0};
        List<String> notes = new ArrayList<>();
        // Each reading of the clock advances it 1 s (a few readings per step): 60 s allow about half the steps.
        LayerDistiller.Result r = LayerDistiller.distill(fixture("bert-base-opset17"), texts(),
                tiny(1).withTraining(8, 8, 32, 1e-3).withLimits(Duration.ofSeconds(60), 1, 0, 8, 1),
                dir.resolve("fitted"), new LayerDistiller.Listener() {
                    @Override
                    public void note(String line) {
                        notes.add(line);
                    }
                }, () -> clock[0] += 1_000_000_000L);
        assertThat(r.budgetStopped()).isTrue();
        java.util.regex.Pattern fitted = java.util.regex.Pattern.compile(
                "the time budget allows about (\\d+) of the (\\d+) planned steps: the learning rate decays over those");
        String note = notes.stream().filter(n -> fitted.matcher(n).matches()).findFirst().orElseThrow(
                () -> new AssertionError("no note on a fitted schedule in " + notes));
        java.util.regex.Matcher m = fitted.matcher(note);
        assertThat(m.matches()).isTrue();
        assertThat(Integer.parseInt(m.group(2))).isEqualTo(r.plannedSteps());
        assertThat(Integer.parseInt(m.group(1))).isLessThan(r.plannedSteps()).isGreaterThanOrEqualTo(r.steps() / 2);
        assertThat(notes).anySatisfy(n -> assertThat(n).contains("ended training after " + r.steps())
                .contains("the learning rate's decay was fitted to"));
    }

    @Test
    void zeroingAGradient_clearsNaNAndInfinity() {
        // Subtracting a gradient from itself leaves NaN where it held NaN or an infinity: one bad
        // step then poisoned every later one (a ticket-classifier run ended with loss NaN).
        try (ai.djl.ndarray.NDManager m = Torch.engine(1).newBaseManager()) {
            ai.djl.ndarray.NDArray grad = m.create(new float[][] {{1, Float.NaN}, {Float.POSITIVE_INFINITY, -2}});
            ai.djl.ndarray.NDArray subtracted = grad.duplicate();
            subtracted.subi(subtracted.duplicate());
            assertThat(subtracted.toFloatArray()).containsExactly(0f, Float.NaN, Float.NaN, 0f);
            LayerDistiller.zero(grad, m.create(0f));
            assertThat(grad.toFloatArray()).containsExactly(0f, 0f, 0f, 0f);
        }
    }

    @Test
    void relationLoss_isZeroForTheSameNeighbourhoods_andGrowsWhenTheyChange() {
        try (ai.djl.ndarray.NDManager m = Torch.engine(1).newBaseManager()) {
            float[][] rows = {{1, 0, 0}, {0.8f, 0.6f, 0}, {0, 0, 1}};
            ai.djl.ndarray.NDArray teacher = m.create(rows);
            // Each row scaled differently: the same directions, so the same neighbourhoods.
            ai.djl.ndarray.NDArray scaled = teacher.mul(m.create(new float[][] {{2}, {0.5f}, {3}}));
            assertThat(LayerDistiller.relationLoss(scaled, teacher).getFloat()).isLessThan(1e-6f);
            // Text 2 moved next to text 3: cosine(1,2) drops from 0.8 to 0, cosine(2,3) rises to 1.
            ai.djl.ndarray.NDArray moved = m.create(new float[][] {{1, 0, 0}, {0, 0, 1}, {0, 0, 1}});
            float expected = (2 * 0.8f * 0.8f + 2 * 1f) / 9;
            assertThat(LayerDistiller.relationLoss(moved, teacher).getFloat()).isCloseTo(expected,
                    org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void uniformSelection_keepsEvenlySpacedLayersEndingWithTheLast() {
        assertThat(LayerDistiller.uniform(6, 3)).containsExactly(1, 3, 5);
        assertThat(LayerDistiller.uniform(12, 4)).containsExactly(2, 5, 8, 11);
        assertThat(LayerDistiller.uniform(6, 1)).containsExactly(5);
    }

    @Test
    void importanceSelection_keepsTheLayersWhoseRemovalChangesTheOutputMost() throws Exception {
        ModelFolder folder = fixture("bert-base-opset17");
        try (Engine engine = Engine.open(folder);
             TorchModel model = TorchModel.load(OnnxModel.read(folder.onnxFile()), engine.info(), 0, 0)) {
            List<EncodedText> sample = engine.encode(texts().subList(0, 16));
            List<String> notes = new ArrayList<>();
            List<Integer> keep = LayerDistiller.important(model, sample, 1, new LayerDistiller.Listener() {
                @Override
                public void note(String line) {
                    notes.add(line);
                }
            });
            assertThat(keep).hasSize(1);
            assertThat(notes.get(0)).startsWith("layer importance");
        }
    }

    @Test
    void refusesAStudentAsLargeAsTheTeacher_andUnsupportedFamilies() {
        assertThatThrownBy(() -> LayerDistiller.distill(fixture("bert-base-opset17"), texts(),
                tiny(1).withLayers(2, LayerSelection.UNIFORM), dir.resolve("x"), new LayerDistiller.Listener() { },
                System::nanoTime)).isInstanceOf(PeregrineException.class).hasMessageContaining("fewer");
        assertThatThrownBy(() -> LayerDistiller.distill(fixture("xlm-roberta-base-opset17"), texts(), tiny(1),
                dir.resolve("y"), new LayerDistiller.Listener() { }, System::nanoTime))
                .isInstanceOf(PeregrineException.class).hasMessageContaining("XLM-R");
        assertThatThrownBy(() -> LayerDistiller.distill(fixture("modernbert-base-opset17"), texts(), tiny(1),
                dir.resolve("z"), new LayerDistiller.Listener() { }, System::nanoTime))
                .isInstanceOf(PeregrineException.class).hasMessageContaining("BERT-family");
    }
}
