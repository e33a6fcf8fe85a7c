package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** distill --mode layers end to end on a tiny fixture: a student folder that loads, and clear errors. */
class DistillCommandTest {

    @TempDir
    Path dir;

    static String fixture(String name) {
        return Path.of(System.getProperty("peregrine.architectures")).resolve(name).toString();
    }

    @Test
    void layers_writesAStudentThatPredictLoads_andReportsFidelityAndProgress() throws Exception {
        Path texts = Files.write(dir.resolve("texts.txt"), Fixtures.variedTexts());
        Path out = dir.resolve("student");
        CliRun run = CliRun.of("distill", "--teacher", fixture("bert-base-opset14"), "--layers", "1", "--data",
                texts.toString(), "--out", out.toString(), "--train-batch-size", "8", "--held-out-texts", "8",
                "--rounds", "1", "--threads", "1", "--epochs", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        // The layers are chosen by importance unless asked otherwise: measured, then named.
        assertThat(run.out()).containsPattern("student: teacher layers \\[[12]\\] of 2 kept \\(importance\\)")
                .contains("cosine similarity").contains("neighbours").contains("| student (1 layers) |");
        assertThat(run.err()).contains("layer importance (output change without it): 1=").contains("keeping teacher layers [")
                .contains("steps").contains("loss ");
        CliRun predict = CliRun.of("predict", "-m", out.toString(), "a text");
        assertThat(predict.exitCode()).as(predict.err()).isZero();
        assertThat(predict.out()).contains("\"embedding\":");
    }

    @Test
    void aTicketLabelClassifier_isScoredOnTheHeldOutTickets() throws Exception {
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add("text,label");
        for (dev.peregrine.datasets.Ticket t : dev.peregrine.datasets.Datasets.ticketsTrain().subList(0, 60)) {
            lines.add("\"" + t.text().replace("\"", "\"\"") + "\"," + t.label());
        }
        Path csv = Files.write(dir.resolve("tickets.csv"), lines);
        Path teacher = dir.resolve("teacher");
        CliRun train = CliRun.of("train", "--encoder", fixture("bert-base-opset14"), "--data", csv.toString(),
                "--out", teacher.toString(), "--folds", "2", "--no-progress");
        assertThat(train.exitCode()).as(train.err()).isZero();
        // No --data: a teacher with the ticket labels learns from texts of its own domain, the training tickets.
        assertThat(DistillCommand.defaultData(dev.peregrine.core.model.ModelFolder.open(teacher)))
                .containsExactly("tickets-train");
        assertThat(DistillCommand.defaultData(dev.peregrine.core.model.ModelFolder.open(Path.of(fixture("bert-base-opset14")))))
                .containsExactly("debian-descriptions");
        CliRun run = CliRun.of("distill", "--teacher", teacher.toString(), "--layers", "1",
                "--max-texts", "64", "--train-batch-size", "16", "--out", dir.resolve("student").toString(),
                "--rounds", "1", "--no-progress", "--layer-selection", "uniform", "--epochs", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("label agreement").contains("held-out accuracy on 206 labelled texts: teacher");
    }

    @Test
    void badRequests_getTheirExitCodes() throws Exception {
        Path texts = Files.write(dir.resolve("texts.txt"), Fixtures.variedTexts());
        CliRun tooMany = CliRun.of("distill", "--teacher", fixture("bert-base-opset14"), "--layers", "2", "--data",
                texts.toString(), "--out", dir.resolve("a").toString(), "--no-progress");
        assertThat(tooMany.exitCode()).isEqualTo(4);
        assertThat(tooMany.err()).contains("a student needs fewer");

        CliRun family = CliRun.of("distill", "--teacher", fixture("xlm-roberta-base-opset14"), "--layers", "1",
                "--data", texts.toString(), "--out", dir.resolve("b").toString(), "--no-progress");
        assertThat(family.exitCode()).isEqualTo(3);
        assertThat(family.err()).contains("BERT-family");

        CliRun mixed = CliRun.of("distill", "--teacher", fixture("bert-base-opset14"), "--mode", "layers",
                "--student-encoder", "all-minilm-l6-v2", "--out", dir.resolve("c").toString());
        assertThat(mixed.exitCode()).isEqualTo(2);
        assertThat(mixed.err()).contains("--mode head");

        CliRun zero = CliRun.of("distill", "--teacher", fixture("bert-base-opset14"), "--layers", "0",
                "--data", texts.toString(), "--out", dir.resolve("d").toString());
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("--layers must be at least 1");

        CliRun noEpochs = CliRun.of("distill", "--teacher", fixture("bert-base-opset14"), "--layers", "1",
                "--epochs", "0", "--data", texts.toString(), "--out", dir.resolve("e").toString());
        assertThat(noEpochs.exitCode()).isEqualTo(2);
        assertThat(noEpochs.err()).contains("--epochs must be auto or at least 1");

        // The teacher's own folder as --out: refused before training (the student would replace the
        // teacher), in both modes, and the teacher is left as it was.
        Path teacher = Files.createDirectories(dir.resolve("teacher"));
        try (var files = Files.list(Path.of(fixture("bert-base-opset14")))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, teacher.resolve(f.getFileName()));
            }
        }
        byte[] before = Files.readAllBytes(teacher.resolve("model.onnx"));
        for (String mode : new String[] {"layers", "head"}) {
            CliRun self = CliRun.of("distill", "--teacher", teacher.toString(), "--mode", mode, "--data",
                    texts.toString(), "--out", teacher.toString(), "--no-progress");
            assertThat(self.exitCode()).as(mode).isEqualTo(4);
            assertThat(self.err()).as(mode).contains("--out must be a new folder");
        }
        assertThat(Files.readAllBytes(teacher.resolve("model.onnx"))).isEqualTo(before);
    }
}
