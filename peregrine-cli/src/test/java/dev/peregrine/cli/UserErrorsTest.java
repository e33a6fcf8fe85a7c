package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every user error: one clear line on stderr, no stack trace, the documented exit code. */
class UserErrorsTest {

    @TempDir
    Path dir;

    @Test
    void noSuchModelFolder_exit3() {
        expect(3, "no such model folder or file: " + dir.resolve("missing"), "predict", "-m", dir.resolve("missing").toString(), "x");
    }

    @Test
    void folderWithoutOnnx_exit3() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        expect(3, "no ONNX file in", "predict", "-m", dir.toString(), "x");
    }

    @Test
    void corruptOnnx_exit3() throws IOException {
        Fixtures2.copyTokenizer(dir);
        Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        expect(3, "is not a loadable ONNX model", "info", "-m", dir.toString());
    }

    @Test
    void missingTokenizer_exit3() throws IOException {
        Files.writeString(dir.resolve("model.onnx"), "x");
        expect(3, "no tokenizer.json in", "info", "-m", dir.toString());
    }

    @Test
    void unknownColumn_exit4() throws IOException {
        Path csv = Files.writeString(dir.resolve("in.csv"), "id,body\n1,hello\n");
        expect(4, "column 'text' not found in " + csv + " (columns: id, body)", "predict", "-i", csv.toString());
        expect(4, "column 'message' not found", "predict", "-i", csv.toString(), "--column", "message");
    }

    @Test
    void emptyInputFile_exit4() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n");
        expect(4, "has no texts", "predict", "-i", empty.toString());
    }

    @Test
    void driftReferenceFromTooFewTexts_exit4_beforeTheModelIsLoaded() throws IOException {
        Path few = Files.writeString(dir.resolve("few.txt"), "one\ntwo\nthree\n");
        expect(4, "has 3 texts; a drift reference needs at least 100", "drift-reference", "-d", few.toString(),
                "-o", dir.resolve("ref.json").toString(), "-m", dir.resolve("never-loaded").toString());
    }

    @Test
    void emptyOrInvisibleTextArgument_exit4_beforeTheModelIsLoaded() {
        expect(4, "the text is empty", "predict", "");
        expect(4, "text 2 is empty", "predict", "a real text", " \u200b\t");
    }

    @Test
    void missingInputFile_exit4() {
        expect(4, "no such input file", "predict", "-i", dir.resolve("nope.jsonl").toString());
    }

    @Test
    void badFlags_exit2_withAHintNotTheManual() {
        CliRun run = CliRun.of("predict", "--max-batch-size", "zero", "x");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().count()).isLessThanOrEqualTo(3);
        assertThat(run.err()).contains("Try 'peregrine predict --help'");
        assertThat(CliRun.of("predict").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("predict", "--max-batch-size", "0", "x").err()).contains("maxBatchSize must be >= 1");
    }

    @Test
    void verbose_addsTheStackTrace() {
        CliRun run = CliRun.of("--verbose", "predict", "-m", dir.resolve("missing").toString(), "x");
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("PeregrineException").contains("\tat ");
    }

    private static void expect(int code, String message, String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.err()).isEqualTo(code);
        assertThat(run.err()).startsWith("peregrine: ").contains(message);
        assertThat(run.err().strip().lines().count()).as("one line: " + run.err()).isEqualTo(1);
        assertThat(run.err()).doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    /** Copies the default model's tokenizer.json. */
    static final class Fixtures2 {
        static void copyTokenizer(Path folder) throws IOException {
            dev.peregrine.core.testing.Fixtures.copyTokenizer(folder.resolve("tokenizer.json"));
        }
    }
}
