package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What bench times and says it timed: a one-pass quick look against a full measurement. No speed is asserted. */
class BenchCommandTest {

    @TempDir
    Path dir;

    /** 140 short texts of varied lengths: more than a quick look times, quick to run. */
    private Path data() throws Exception {
        String[] topics = {"invoice missing", "app crashes", "cancel my account", "Produkt super", "¿mi pedido?",
            "no refund", "login fails"};
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 140; i++) {
            texts.add("ticket " + i + ": " + (topics[i % topics.length] + " ").repeat(1 + i % 3).strip());
        }
        return Files.write(dir.resolve("texts.txt"), texts);
    }

    @Test
    void onePass_timesEveryRowOnTheSameSample_andJudgesFidelityOnEveryText() throws Exception {
        CliRun run = CliRun.of("bench", "--data", data().toString(), "--passes", "1", "--no-sweep", "--no-pytorch",
                "--format", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("texts").asInt()).isEqualTo(140);
        assertThat(report.get("timedTexts").asInt()).isEqualTo(128);
        assertThat(report.get("timedTokens").asLong()).isLessThan(report.get("tokens").asLong());
        assertThat(report.get("timing").asText()).startsWith("every row timed on the same 128 of the 140 texts")
                .contains("fidelity on all 140 texts");
        assertThat(report.get("steps")).hasSize(6);
        assertThat(run.err()).contains("fidelity outputs of + our INT8 for all 140 texts, in length-sorted batches")
                .contains("pass 1 of 1, each row timed on 128 of the 140 texts");
    }

    @Test
    void severalPasses_timeEveryText_andTheTableSaysSo() throws Exception {
        CliRun run = CliRun.of("bench", "--data", data().toString(), "--passes", "2", "--no-sweep", "--no-pytorch",
                "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.outLines().get(0)).endsWith("every row timed on all 140 texts, median of 2 passes; "
                + "fidelity on the first measured pass");
    }

    @Test
    void aNegativeSample_isAUsageError() {
        CliRun run = CliRun.of("bench", "--timed-texts", "-1");
        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(run.err()).contains("--timed-texts must be 0 (all) or more");
    }
}
