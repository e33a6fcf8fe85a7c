package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * loadtest against a real server on loopback: by default it measures the model (every request
 * bypasses the prediction cache) and says what the server did; with --server-cache the built-in
 * texts repeat and the cache answers them, and the report says that too.
 */
class LoadtestCommandTest {

    private static final Pattern SERVER = Pattern.compile(
            "server: (\\d+) forward passes, (\\d+) cache lookups, cache hit ratio ([0-9.]+)");

    private static PeregrineServer server;

    @BeforeAll
    static void start() {
        server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model("all-minilm-l6-v2", "all-minilm-l6-v2").threads(1).build(), Fixtures.resolver());
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    private String url() {
        return "http://127.0.0.1:" + server.port() + "/embed";
    }

    @Test
    void byDefault_everyRequestReachesTheModel_andTheReportSaysSo() {
        CliRun run = CliRun.of("loadtest", "--url", url(), "--concurrency", "2", "--duration", "2s");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher m = SERVER.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).as("forward passes").isPositive();
        assertThat(Long.parseLong(m.group(2))).as("no text was looked up in the cache").isZero();
        assertThat(run.out()).contains("Cache-Control: no-cache");
    }

    @Test
    void withTheServerCache_repeatedTextsAreAnsweredByIt_andTheHitRatioShows() {
        CliRun run = CliRun.of("loadtest", "--url", url(), "--concurrency", "2", "--duration", "2s",
                "--warmup", "500ms", "--server-cache");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher m = SERVER.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        long lookups = Long.parseLong(m.group(2));
        double ratio = Double.parseDouble(m.group(3));
        assertThat(lookups).isPositive();
        // twelve built-in texts, all seen in the warm-up: nearly every lookup is a hit
        assertThat(ratio).isGreaterThan(0.5);
        assertThat(Long.parseLong(m.group(1))).as("forward passes").isLessThan(lookups);
    }
}
