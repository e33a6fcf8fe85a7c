package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.loadtest.LoadGenerator;
import dev.peregrine.loadtest.LoadTestConfig;
import dev.peregrine.loadtest.LoadTestReport;
import dev.peregrine.server.TestServers;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The load generator against a real server: both loops send, count and measure (no timing asserted). */
class LoadGeneratorTest {

    @Test
    void closedAndOpenLoops_countAnswersByStatus_andRecordLatencies() throws Exception {
        int port = TestServers.shared().port();
        URI url = URI.create("http://127.0.0.1:" + port + "/v1/embeddings");
        LoadTestReport closed = new LoadGenerator(new LoadTestConfig(url, 4, 0, Duration.ofMillis(800), Duration.ZERO,
                LoadTestConfig.defaultTexts(), 2, TestServers.EMBEDDER, TestServers.API_KEY, 100,
                Duration.ofSeconds(30))).run();
        assertThat(closed.succeeded()).isPositive();
        assertThat(closed.errors()).isEmpty();
        assertThat(closed.latency().getTotalCount()).isEqualTo(closed.succeeded());
        assertThat(closed.percentileMillis(50)).isPositive();
        // The server reports its own tokenization and pass per answer: the rest is overhead, per request.
        assertThat(closed.overhead().getTotalCount()).isEqualTo(closed.succeeded());
        assertThat(closed.overheadMillis(50)).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(closed.percentileMillis(50));
        // ... and its total time per answer: the server's share of the overhead is within the whole.
        assertThat(closed.serverOverhead().getTotalCount()).isEqualTo(closed.succeeded());
        assertThat(closed.serverOverheadMillis(50)).isGreaterThanOrEqualTo(0)
                .isLessThanOrEqualTo(closed.overheadMillis(50));

        LoadTestReport open = new LoadGenerator(new LoadTestConfig(url, 0, 20, Duration.ofMillis(500), Duration.ZERO,
                LoadTestConfig.defaultTexts(), 1, TestServers.EMBEDDER, null, 100, Duration.ofSeconds(30))).run();
        assertThat(open.requests()).as("20/s for 0.5 s").isEqualTo(10);
        assertThat(open.statusCounts()).containsEntry("401", 10L);
        assertThat(open.succeeded()).isZero();
        assertThat(open.overheadMillis(50)).as("no answer carried the server's times").isNaN();
        assertThat(open.serverOverheadMillis(50)).isNaN();
    }
}
