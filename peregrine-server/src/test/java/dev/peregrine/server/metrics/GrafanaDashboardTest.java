package dev.peregrine.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped Grafana dashboard only queries metrics a running server really exports: a server
 * with the default model on loopback answers a few requests, and every metric name in every
 * panel's PromQL must be in its /metrics.
 */
class GrafanaDashboardTest {

    static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "peregrine-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\bperegrine_[a-z0-9_]+\\b");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? \\S+", Pattern.MULTILINE);

    @Test
    void everyMetricTheDashboardQueries_isExportedByARunningServer() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> expressions = new ArrayList<>();
        collect(dashboard, expressions);
        assertThat(expressions).as("PromQL expressions in the dashboard").hasSizeGreaterThan(8);
        Set<String> queried = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                queried.add(m.group());
            }
        }
        assertThat(queried).contains("peregrine_requests_total", "peregrine_inference_duration_seconds_count");

        PeregrineServer server = TestServers.shared();
        TestClient client = new TestClient(server.port(), TestServers.API_KEY);
        assertThat(client.post("/embed", "{\"inputs\": [\"Where is my invoice?\", \"The app crashes\"]}").statusCode())
                .isEqualTo(200);
        assertThat(client.post("/embed", "{\"inputs\": [\"Where is my invoice?\"]}").statusCode()).isEqualTo(200);
        assertThat(client.post("/classify", "{\"model\": \"" + TestServers.CLASSIFIER
                + "\", \"texts\": [\"refund please\"]}").statusCode()).isEqualTo(200);
        assertThat(client.post("/embed", "{\"inputs\": 5}").statusCode()).isBetween(400, 499);
        HttpResponse<String> metrics = client.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        Set<String> exported = new TreeSet<>();
        Matcher m = SAMPLE.matcher(metrics.body());
        while (m.find()) {
            exported.add(m.group(1));
        }
        assertThat(exported).as("metrics the dashboard queries but the server does not export")
                .containsAll(queried);
    }

    @Test
    void dashboardIsImportable_withAPrometheusDatasourceVariable() throws IOException {
        JsonNode d = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        assertThat(d.path("title").asText()).contains("Peregrine");
        assertThat(d.path("uid").asText()).isNotBlank();
        assertThat(d.path("panels").size()).isGreaterThan(6);
        assertThat(d.path("templating").path("list").toString()).contains("\"type\":\"datasource\"")
                .contains("prometheus");
        for (JsonNode panel : d.path("panels")) {
            assertThat(panel.path("title").asText()).isNotBlank();
            assertThat(panel.path("gridPos").has("w")).isTrue();
        }
    }

    private static void collect(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals("expr") && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, out));
        }
    }
}
