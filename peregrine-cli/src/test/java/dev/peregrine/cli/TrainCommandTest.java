package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.Ticket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir
    Path dir;

    @Test
    void train_writesAClassifierThatPredictLoads_andReportsCrossValidation() throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add("text,label");
        for (Ticket t : Datasets.ticketsTrain().subList(0, 60)) {
            lines.add("\"" + t.text().replace("\"", "\"\"") + "\"," + t.label());
        }
        Path csv = Files.write(dir.resolve("tickets.csv"), lines);
        Path out = dir.resolve("clf");
        CliRun run = CliRun.of("train", "--data", csv.toString(), "--out", out.toString(), "--folds", "3", "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("3-fold cross-validation").contains("macro-F1").contains("confusion").contains("wrote " + out);
        assertThat(out.resolve("model.onnx")).exists();
        assertThat(out.resolve("training.json")).exists();

        CliRun predict = CliRun.of("predict", "-m", out.toString(), "refund the duplicate charge please");
        assertThat(predict.exitCode()).as(predict.err()).isZero();
        assertThat(predict.out()).contains("\"label\":");
    }

    @Test
    void heldOutTexts_areWrittenBesideTheClassifier_andValidateJudgesOnThemByDefault() throws Exception {
        List<String> train = new ArrayList<>();
        for (Ticket t : Datasets.ticketsTrain().subList(0, 40)) {
            train.add(json(t));
        }
        List<String> test = new ArrayList<>();
        for (Ticket t : Datasets.ticketsTest().subList(0, 12)) {
            test.add(json(t));
        }
        Path trainFile = Files.write(dir.resolve("train.jsonl"), train);
        Path testFile = Files.write(dir.resolve("test.jsonl"), test);
        Path out = dir.resolve("clf");
        CliRun run = CliRun.of("train", "--data", trainFile.toString(), "--test", testFile.toString(),
                "--out", out.toString(), "--folds", "0", "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Path heldOut = out.resolve("validation.jsonl");
        assertThat(Files.readAllLines(heldOut)).hasSize(12)
                .allSatisfy(l -> assertThat(l).startsWith("{\"text\":").contains("\"label\":"));

        CliRun validate = CliRun.of("validate", "--reference", out.toString(), "--candidate", out.toString());
        assertThat(validate.exitCode()).as(validate.err()).isZero();
        assertThat(validate.out()).contains("texts: the model's held-out texts (" + heldOut + ")")
                .contains("texts: 12").contains("(12 labelled)");

        CliRun explicit = CliRun.of("validate", "--reference", out.toString(), "--candidate", out.toString(),
                "--data", trainFile.toString());
        assertThat(explicit.exitCode()).as(explicit.err()).isZero();
        assertThat(explicit.out()).contains("texts: " + trainFile).contains("texts: 40");
    }

    private static String json(Ticket t) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(java.util.Map.of("text", t.text(), "label", t.label()));
    }

    @Test
    void badData_andUnknownEncoder_getTheirExitCodes() throws Exception {
        Path one = Files.writeString(dir.resolve("one.jsonl"), "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"x\"}\n");
        CliRun single = CliRun.of("train", "--data", one.toString(), "--out", dir.resolve("o1").toString());
        assertThat(single.exitCode()).isEqualTo(4);
        assertThat(single.err()).contains("a classifier needs at least two labels");

        Path noLabel = Files.writeString(dir.resolve("nolabel.jsonl"), "{\"text\":\"a\",\"category\":\"x\"}\n");
        CliRun missing = CliRun.of("train", "--data", noLabel.toString(), "--out", dir.resolve("o2").toString());
        assertThat(missing.exitCode()).isEqualTo(4);
        assertThat(missing.err()).contains("has no 'label' field");

        Path ok = Files.writeString(dir.resolve("ok.jsonl"),
                "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"x\"}\n{\"text\":\"c\",\"label\":\"y\"}\n{\"text\":\"d\",\"label\":\"y\"}\n");
        CliRun encoder = CliRun.of("train", "--encoder", "no-such-encoder", "--data", ok.toString(), "--out", dir.resolve("o3").toString());
        assertThat(encoder.exitCode()).isEqualTo(3);
        assertThat(encoder.err()).contains("no-such-encoder");
    }

    @Test
    void theEncodersOwnFolderAsOut_isRefusedBeforeTraining_andTheEncoderIsLeftAsItWas() throws Exception {
        Path encoder = Files.createDirectories(dir.resolve("encoder"));
        try (var files = Files.list(Path.of(System.getProperty("peregrine.architectures"), "bert-base-opset14"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, encoder.resolve(f.getFileName()));
            }
        }
        byte[] before = Files.readAllBytes(encoder.resolve("model.onnx"));
        List<String> lines = new ArrayList<>(List.of("text,label"));
        for (Ticket t : Datasets.ticketsTrain().subList(0, 20)) {
            lines.add("\"" + t.text().replace("\"", "\"\"") + "\"," + t.label());
        }
        Path csv = Files.write(dir.resolve("few.csv"), lines);
        CliRun run = CliRun.of("train", "--encoder", encoder.toString(), "--data", csv.toString(), "--out",
                encoder.toString(), "--no-progress");
        assertThat(run.exitCode()).isEqualTo(4);
        assertThat(run.err()).contains("--out must be a new folder");
        assertThat(Files.readAllBytes(encoder.resolve("model.onnx"))).isEqualTo(before);
        assertThat(encoder.resolve("training.json")).doesNotExist();
    }
}
