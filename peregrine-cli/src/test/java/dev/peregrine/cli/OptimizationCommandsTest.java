package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.optimize.ModelFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** validate, quantize and optimize-graph as a user runs them: arguments in, exit code and output out. */
class OptimizationCommandsTest {

    @TempDir
    static Path dir;

    private static Path reference;
    private static Path damaged;
    private static Path texts;

    /** The default model, and a copy whose last feed-forward output projection is zeroed. */
    @BeforeAll
    static void models() throws Exception {
        ModelFolder minilm = new ModelResolver(PeregrineHome.at(Path.of("target", "test-home")))
                .resolve("all-minilm-l6-v2");
        reference = minilm.root();
        damaged = dir.resolve("damaged");
        ModelFiles.copySupportFiles(reference, damaged);
        OnnxGraph g = OnnxGraph.of(OnnxModel.read(minilm.onnxFile()));
        Node dense = g.nodes().stream().filter(n -> n.name().equals("/encoder/layer.5/output/dense/MatMul"))
                .findFirst().orElseThrow();
        TensorProto w = g.initializer(dense.input(1));
        g.replaceInitializer(dense.input(1), Tensors.floats("w", new float[(int) Tensors.elementCount(w)],
                Tensors.dims(w)));
        ModelProto broken = g.toModel();
        OnnxModel.write(broken, damaged.resolve("model.onnx"));
        texts = dir.resolve("texts.txt");
        Files.write(texts, List.of("Where is my package?", "The refund never arrived.", "Great service!",
                "Wie kann ich meine Bestellung stornieren?", "cant find teh setings page", "ok 👍",
                "The museum acquired a rare manuscript from the twelfth century.", "Do you ship to Canada?"));
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void validate_damagedCandidate_exitsWithCheckFailed() {
        Run r = run("validate", "--reference", reference.toString(), "--candidate", damaged.toString(),
                "--data", texts.toString());

        assertThat(r.code()).isEqualTo(ExitCode.CHECK_FAILED.code());
        assertThat(r.out()).contains("cosine similarity").contains("FAILED");
        assertThat(r.err()).contains("below the fidelity bar");
    }

    @Test
    void validate_sameModel_passes() {
        Run r = run("validate", "--reference", reference.toString(), "--candidate", reference.toString(),
                "--data", texts.toString(), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"passed\" : true").contains("\"cosineMean\"");
    }

    @Test
    void quantize_writesAModelThatPassesItsOwnCheck() throws Exception {
        Path out = dir.resolve("int8");
        Run r = run("quantize", "--model", reference.toString(), "--out", out.toString(), "--data", texts.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("QAttention").contains("PASSED").contains("cpu: ").contains("target: ")
                .contains("float32").contains("items/s").contains("mode: int8-")
                .containsPattern("chose attempt [12] \\(int8-(dynamic|static)\\): passed: mean cosine");
        assertThat(out.resolve("model.onnx")).exists();
        assertThat(out.resolve("tokenizer.json")).exists();
        assertThat(out.resolve("FAILED.txt")).doesNotExist();
        assertThat(OnnxModel.metadata(OnnxModel.read(out.resolve("model.onnx"))))
                .containsEntry("peregrine.target_cpu", CpuTarget.detect().id())
                .containsKeys("peregrine.fidelity", "peregrine.validated_on", "peregrine.quantized_on",
                        "peregrine.quantization.mode_choice");
    }

    @Test
    void quantizeStatic_calibratesOnTheGivenTexts_andPassesItsOwnCheck() throws Exception {
        Path calibration = dir.resolve("calibration.txt");
        Files.write(calibration, List.of("My invoice shows the wrong address.", "How do I reset my password?",
                "Das Paket kam beschädigt an.", "The river flooded the lower town twice last spring.",
                "app keeps crashing on startup!!!", "Thanks, that fixed it 🙂"));
        Path out = dir.resolve("int8-static");
        Run r = run("quantize", "--model", reference.toString(), "--out", out.toString(), "--data", texts.toString(),
                "--mode", "int8-static", "--calibration", calibration.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("mode int8-static").contains("MatMulIntegerToFloat").contains("QAttention")
                .contains("PASSED");
        assertThat(OnnxModel.metadata(OnnxModel.read(out.resolve("model.onnx"))))
                .containsEntry("peregrine.quantization", "int8-static");
    }

    @Test
    void quantize_unknownMode_isABadFlag_namingTheModes() {
        Run r = run("quantize", "--model", reference.toString(), "--out", dir.resolve("int4").toString(),
                "--mode", "int4");

        assertThat(r.code()).isEqualTo(ExitCode.USAGE.code());
        assertThat(r.err()).contains("int8-static");
    }

    @Test
    void quantize_underAnImpossibleBar_stillWritesButExitsWithCheckFailed() {
        Path out = dir.resolve("strict");
        Run r = run("quantize", "--model", reference.toString(), "--out", out.toString(), "--data", texts.toString(),
                "--min-cosine", "1.0", "--smoothing", "off", "--remedies", "none", "--no-timing");

        assertThat(r.code()).isEqualTo(ExitCode.CHECK_FAILED.code());
        assertThat(out.resolve("model.onnx")).exists();
        assertThat(out.resolve("FAILED.txt")).exists();
        assertThat(r.out()).contains("FAILED: no attempt passed");
        assertThat(r.err()).contains("no quantized model passed the fidelity bar").contains("FAILED.txt");
    }

    @Test
    void quantize_unknownTargetCpu_isAUsageError_listingTheTargets() {
        Run r = run("quantize", "--model", reference.toString(), "--out", dir.resolve("nowhere").toString(),
                "--target-cpu", "pentium");

        assertThat(r.code()).isEqualTo(ExitCode.USAGE.code());
        assertThat(r.err()).contains("unknown target CPU 'pentium'").contains("avx512-vnni");
    }

    @Test
    void optimizeGraph_reportsWhatMatched() {
        Path out = dir.resolve("fused");
        Run r = run("optimize-graph", "--model", reference.toString(), "--out", out.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("attention").contains("6 fused").contains("com.microsoft:Attention=6");
    }

    @Test
    void quantize_sameFolderAsSource_isRefused() {
        Run r = run("quantize", "--model", reference.toString(), "--out", reference.toString());

        assertThat(r.code()).isEqualTo(ExitCode.INPUT.code());
        assertThat(r.err()).contains("--out must be a new folder");
        // Refused before the search: nothing was written into the source folder, not even for a while.
        assertThat(reference.resolve(".candidates")).doesNotExist();
    }
}
