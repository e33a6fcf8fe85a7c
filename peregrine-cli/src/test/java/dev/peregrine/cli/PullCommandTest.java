package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.core.testing.FakeHub;
import dev.peregrine.core.testing.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peregrine pull} end to end: real command line, fake hub on loopback, the cache in a
 * temporary folder named by the {@code peregrine.home} system property (never the user's cache).
 */
class PullCommandTest {

    @TempDir
    Path tmp;

    private FakeHub hub;
    private String previousHome;

    /** What one run of the command printed, and its exit code. */
    record Run(int code, String out, String err) {
        /** Stderr's lines less the progress bar's redraws. */
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank() && !l.matches("pull\\s+\\d+%.*")).toList();
        }
    }

    @BeforeEach
    void setUp() {
        hub = FakeHub.start();
        previousHome = System.setProperty(PeregrineHome.PROPERTY, tmp.resolve("home").toString());
    }

    @AfterEach
    void tearDown() {
        hub.close();
        if (previousHome == null) {
            System.clearProperty(PeregrineHome.PROPERTY);
        } else {
            System.setProperty(PeregrineHome.PROPERTY, previousHome);
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run pull(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "pull";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--endpoint";
        all[args.length + 2] = hub.endpoint().toString();
        return run(all);
    }

    /** A repository holding a tiny real classifier (ONNX graph built by the test, real tokenizer). */
    private void tinyClassifierRepo(String id) throws IOException {
        Path dir = Fixtures.tinyClassifier(tmp.resolve("source"), Fixtures.TinyWeights.of(3, 7),
                List.of("billing", "bug", "praise"), false);
        hub.repo(id).files(dir).file("README.md", "# tiny".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void pull_thenPredictWithTheHubId_works() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");

        Run pulled = pull("acme/tiny-intent");

        Path folder = tmp.resolve("home/hub/acme/tiny-intent");
        assertThat(pulled.code()).as(pulled.err()).isZero();
        assertThat(pulled.out()).startsWith("Pulled acme/tiny-intent (commit ")
                .contains("into " + folder)
                .contains("  3 files downloaded (")
                .contains("peregrine predict -m acme/tiny-intent \"some text\"");
        assertThat(folder.resolve("model.onnx")).exists();
        assertThat(folder.resolve("README.md")).doesNotExist();

        Run predicted = run("predict", "-m", "acme/tiny-intent", "my invoice is wrong");

        assertThat(predicted.code()).as(predicted.err()).isZero();
        JsonNode line = new ObjectMapper().readTree(predicted.out().lines().findFirst().orElseThrow());
        assertThat(line.path("label").asText()).isIn("billing", "bug", "praise");
        assertThat(line.path("scores")).hasSize(3);
    }

    @Test
    void secondPull_reportsNothingDownloaded() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        assertThat(pull("acme/tiny-intent").code()).isZero();

        Run again = pull("acme/tiny-intent");

        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("  all 3 files already present, nothing downloaded");
    }

    @Test
    void quiet_printsOnlyTheFolder() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");

        Run run = pull("acme/tiny-intent@main", "--quiet");

        assertThat(run.code()).isZero();
        assertThat(run.out()).isEqualTo(tmp.resolve("home/hub/acme/tiny-intent") + System.lineSeparator());
        assertThat(run.err()).isEmpty();
    }

    @Test
    void progress_isDrawnOnStderr() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");

        Run run = pull("acme/tiny-intent");

        assertThat(run.code()).isZero();
        assertThat(run.err()).contains("pull").contains("MB");
        assertThat(run.out()).doesNotContain("MB/s");
    }

    @Test
    void unknownRepo_exits5_withOneLine() {
        Run run = pull("acme/missing");

        assertThat(run.code()).isEqualTo(5);
        assertThat(run.errLines()).containsExactly("peregrine: no model repository acme/missing on " + hub.endpoint()
                + " (if it is private, set HF_TOKEN to an access token that can read it)");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void unknownRevision_exits5() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        Run run = pull("acme/tiny-intent@v2");

        assertThat(run.code()).isEqualTo(5);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("peregrine: acme/tiny-intent has no revision 'v2'");
    }

    @Test
    void gatedRepo_withoutToken_exits5_andSaysWhatToDo() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        hub.repo("acme/tiny-intent").gated("hf_right");

        Run run = pull("acme/tiny-intent");

        assertThat(run.code()).isEqualTo(5);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("peregrine: acme/tiny-intent is gated (HTTP 401): accept the model's terms at ")
                .endsWith("set HF_TOKEN to an access token of that account");
    }

    @Test
    void gatedRepo_withAWrongToken_exits5_andNeverPrintsTheToken() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        hub.repo("acme/tiny-intent").gated("hf_right");

        Run run = pull("acme/tiny-intent", "--token", "hf_wrong_secret");

        assertThat(run.code()).isEqualTo(5);
        assertThat(run.errLines()).singleElement().asString().contains("the token was refused (HTTP 403)");
        assertThat(run.err() + run.out()).doesNotContain("hf_wrong_secret");
    }

    @Test
    void gatedRepo_withTheToken_pulls() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        hub.repo("acme/tiny-intent").gated("hf_right");

        Run run = pull("acme/tiny-intent", "--token", "hf_right", "-q");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(hub.requests(FakeHub.CDN)).isNotEmpty()
                .allSatisfy(r -> assertThat(r.header("Authorization")).isEmpty());
    }

    @Test
    void repoWithoutOnnx_exits3_withTheExportHint() {
        hub.repo("acme/pt-only").file("config.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));

        Run run = pull("acme/pt-only");

        assertThat(run.code()).isEqualTo(3);
        assertThat(run.errLines()).singleElement().asString()
                .contains("has no ONNX graph")
                .contains("'optimum-cli export onnx --model acme/pt-only DIR'");
    }

    @Test
    void malformedId_isAUsageError() {
        Run run = pull("all-MiniLM-L6-v2");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines().get(0)).contains("'all-MiniLM-L6-v2' is not a hub model id: expected ORG/NAME");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void variantWithAllVariants_isAUsageError() {
        Run run = pull("acme/tiny-intent", "--variant", "quantized", "--all-variants");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines().get(0)).isEqualTo("peregrine: give --variant or --all-variants, not both");
    }

    @Test
    void endpointThatIsNotHttp_isAUsageError() {
        Run run = run("pull", "acme/tiny-intent", "--endpoint", "ftp://mirror.example");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines().get(0)).contains("hub endpoint must be an http(s) URL");
    }

    @Test
    void unwritableCache_exits7() throws IOException {
        tinyClassifierRepo("acme/tiny-intent");
        Files.writeString(tmp.resolve("home"), "a file where the cache folder should be");

        Run run = pull("acme/tiny-intent");

        assertThat(run.code()).isEqualTo(7);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("peregrine: cannot create the model folder " + tmp.resolve("home/hub/acme/tiny-intent"));
    }
}
