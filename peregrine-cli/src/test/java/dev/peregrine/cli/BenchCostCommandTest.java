package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench prices every row it measured; the arithmetic itself is CostTableTest's. No speed is asserted. */
class BenchCostCommandTest {

    @TempDir
    Path dir;

    @Test
    void pricePerHour_addsACostToEveryRow_andTheSloNamesTheCheapestWithinIt() throws Exception {
        Path data = Files.write(dir.resolve("texts.txt"), List.of("Where is my invoice?", "The app crashes.",
                "Please cancel my account.", "ok"));
        CliRun run = CliRun.of("bench", "--data", data.toString(), "--passes", "1", "--no-sweep",
                "--price-per-hour", "0.36", "--slo-p99", "1000000", "--format", "json", "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("bench [");
        JsonNode report = new ObjectMapper().readTree(run.out());
        JsonNode cost = report.get("cost");
        assertThat(cost.get("rows")).hasSize(report.get("steps").size());
        for (JsonNode row : cost.get("rows")) {
            assertThat(row.get("usdPer1000").asDouble())
                    .isCloseTo(0.36 / 3600 / row.get("itemsPerSecond").asDouble() * 1000, within(1e-12));
            assertThat(row.get("meetsSlo").asBoolean()).isTrue();
        }
        assertThat(cost.get("cheapestMeetingSlo").get("setting").asText())
                .isEqualTo(cost.get("rows").get(0).get("setting").asText());
    }

    @Test
    void anSloWithoutAPrice_isAUsageError() {
        CliRun run = CliRun.of("bench", "--slo-p99", "50");
        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(run.err()).contains("--slo-p99 needs --price-per-hour or --prices");
    }
}
