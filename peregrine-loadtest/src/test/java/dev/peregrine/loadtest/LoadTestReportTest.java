package dev.peregrine.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LoadTestReportTest {

    @Test
    void report_givesPercentilesThroughputAndErrorsByStatus_asJsonAndTable() throws Exception {
        Histogram h = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            h.recordValue(i * 1000L);
        }
        LoadTestReport r = new LoadTestReport("http://x/embed", "closed", 4, 0, 10, 1010, 1000, 2,
                Map.of("200", 1000L, "429", 7L, "io", 3L), h);

        assertThat(r.throughput()).isEqualTo(100.0);
        assertThat(r.textsPerSecond()).isEqualTo(200.0);
        assertThat(r.percentileMillis(50)).isBetween(499.0, 501.0);
        assertThat(r.percentileMillis(99)).isBetween(989.0, 991.0);
        assertThat(r.errors()).containsOnlyKeys("429", "io");
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertThat(json.at("/latency_ms/p99_9").asDouble()).isBetween(998.0, 1000.5);
        assertThat(json.at("/errors/429").asLong()).isEqualTo(7);
        assertThat(r.toTable()).contains("p50 ").contains("100.0 requests/s").contains("429=7")
                .doesNotContain("overhead");
        assertThat(json.has("overhead_ms")).as("the server did not report its own times").isFalse();
    }

    @Test
    void overhead_isLatencyMinusTheServersReportedWork_whenItReportsIt() throws Exception {
        assertThat(LoadGenerator.workMicros("0.150", "5.100")).isEqualTo(5250);
        assertThat(LoadGenerator.workMicros(null, "5.1")).isEqualTo(-1);
        assertThat(LoadGenerator.workMicros("0.1", "soon")).isEqualTo(-1);
        assertThat(LoadGenerator.workMicros("-1", "0.5")).isEqualTo(-1);
        Histogram latency = new Histogram(3);
        Histogram overhead = new Histogram(3);
        for (int i = 1; i <= 100; i++) {
            latency.recordValue(6000 + i);
            overhead.recordValue(400 + i);
        }
        LoadTestReport r = new LoadTestReport("http://x/embed", "closed", 1, 0, 1, 100, 100, 1, Map.of("200", 100L),
                latency, overhead);
        assertThat(r.overheadMillis(50)).isBetween(0.449, 0.451);
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertThat(json.at("/overhead_ms/p50").asDouble()).isBetween(0.449, 0.451);
        assertThat(json.at("/overhead_ms/answers").asLong()).isEqualTo(100);
        assertThat(r.toTable()).contains("overhead ms").contains("p50 0.45").doesNotContain("in the server");
        assertThat(json.has("/overhead_ms/in_server")).isFalse();
    }

    @Test
    void serverOverhead_isTheServersTotalMinusItsWork_reportedBesideTheWholeOverhead() throws Exception {
        assertThat(LoadGenerator.micros("6.250")).isEqualTo(6250);
        assertThat(LoadGenerator.micros(" 0.001 ")).isEqualTo(1);
        assertThat(LoadGenerator.micros(null)).isEqualTo(-1);
        assertThat(LoadGenerator.micros("NaN")).isEqualTo(-1);
        assertThat(LoadGenerator.micros("-0.5")).isEqualTo(-1);
        Histogram latency = new Histogram(3);
        Histogram overhead = new Histogram(3);
        Histogram inServer = new Histogram(3);
        for (int i = 1; i <= 100; i++) {
            latency.recordValue(6000 + i);
            overhead.recordValue(1000 + i);
            inServer.recordValue(300 + i);
        }
        LoadTestReport r = new LoadTestReport("http://x/embed", "closed", 1, 0, 1, 100, 100, 1, Map.of("200", 100L),
                latency, overhead, inServer);
        assertThat(r.serverOverheadMillis(50)).isBetween(0.349, 0.351);
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertThat(json.at("/overhead_ms/p50").asDouble()).isBetween(1.049, 1.051);
        assertThat(json.at("/overhead_ms/in_server/p50").asDouble()).isBetween(0.349, 0.351);
        assertThat(json.at("/overhead_ms/in_server/answers").asLong()).isEqualTo(100);
        assertThat(r.toTable()).contains("of which in the server p50 0.35");
    }

    @Test
    void bodies_followTheRoute() {
        assertThat(RequestBodies.forPath("/embed", List.of("a"), null)).isEqualTo("{\"inputs\":[\"a\"]}");
        assertThat(RequestBodies.forPath("/classify", List.of("a"), null)).isEqualTo("{\"texts\":[\"a\"]}");
        assertThat(RequestBodies.forPath("/v1/embeddings", List.of("a"), "m")).isEqualTo("{\"input\":[\"a\"],\"model\":\"m\"}");
        assertThat(RequestBodies.forPath("/v2/models/m/infer", List.of("a", "b"), null))
                .contains("\"shape\":[2]").contains("\"datatype\":\"BYTES\"");
    }

    @Test
    void config_needsExactlyOneOfConcurrencyOrRate() {
        URI url = URI.create("http://127.0.0.1:1/embed");
        assertThatThrownBy(() -> new LoadTestConfig(url, 2, 5, Duration.ofSeconds(1), Duration.ZERO, List.of("a"), 1,
                null, null, 10, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoadTestConfig(url, 0, 0, Duration.ofSeconds(1), Duration.ZERO, List.of("a"), 1,
                null, null, 10, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
