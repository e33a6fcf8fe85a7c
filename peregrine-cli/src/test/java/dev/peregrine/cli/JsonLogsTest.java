package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TracingConfig;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** serve --json-logs: logback's JSON lines, with the trace id of the request a line was logged in. */
class JsonLogsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonLogs_areOneObjectPerLine_andARequestsLinesCarryItsTraceId() throws Exception {
        Path model = Path.of("target", "test-models", "json-logs-tiny").toAbsolutePath();
        if (!Files.isRegularFile(model.resolve("model.onnx"))) {
            Fixtures.tinyClassifier(model, Fixtures.TinyWeights.of(3, 42), List.of("billing", "technical", "general"), false);
        }
        // Where the spans go: an HTTP endpoint that takes the OTLP posts (what is checked here is the logs).
        AtomicInteger exports = new AtomicInteger();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exports.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();

        String traceId = "0af7651916cd43dd8448eb211c80319c";
        String parentSpan = "b7ad6b7169203331";
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        JsonLogs.install(logs);
        HttpResponse<String> response;
        try {
            PeregrineServer server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                    .model("tiny", model.toString()).threads(1).tokenizerThreads(1)
                    .cache(CacheConfig.off()).drift(DriftConfig.disabled())
                    .tracing(TracingConfig.parse("http://127.0.0.1:" + collector.getAddress().getPort(), "peregrine", 1.0, true))
                    .build(), new ModelResolver(PeregrineHome.at(Path.of("target", "test-home"))));
            try {
                response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/classify"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .header("traceparent", "00-" + traceId + "-" + parentSpan + "-01")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"texts\": [\"Why was I charged twice?\"]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
            } finally {
                server.stop();
            }
            // What the OpenTelemetry SDK logs (through java.util.logging) comes out the same way.
            java.util.logging.Logger.getLogger("jul.check").warning("a java.util.logging record");
        } finally {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            context.reset();
            new ContextInitializer(context).autoConfig();
            collector.stop(0);
        }
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(exports.get()).as("the spans were sent at stop").isPositive();

        List<JsonNode> lines = new ArrayList<>();
        for (String line : logs.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                JsonNode node = JSON.readTree(line);   // throws unless the line is one JSON value
                assertThat(node.isObject()).as(line).isTrue();
                assertThat(node.has("timestamp") && node.has("level") && node.has("loggerName")
                        && node.has("formattedMessage")).as(line).isTrue();
                lines.add(node);
            }
        }
        assertThat(lines).anyMatch(l -> l.get("formattedMessage").asText().startsWith("listening on http://127.0.0.1:"));
        JsonNode access = lines.stream().filter(l -> l.get("loggerName").asText().equals("dev.peregrine.server.access"))
                .findFirst().orElseThrow(() -> new AssertionError("no access log line in " + lines));
        assertThat(access.get("level").asText()).isEqualTo("INFO");
        assertThat(access.at("/mdc/trace_id").asText()).isEqualTo(traceId);
        assertThat(access.at("/mdc/span_id").asText()).matches("[0-9a-f]{16}").isNotEqualTo(parentSpan);
        assertThat(access.get("formattedMessage").asText()).startsWith("POST /classify 200 ");
        List<String> fields = new ArrayList<>();
        access.get("kvpList").forEach(kv -> kv.fieldNames().forEachRemaining(fields::add));
        assertThat(fields).contains("method", "route", "status", "model", "texts", "duration_ms");
        assertThat(lines).anyMatch(l -> l.get("loggerName").asText().equals("jul.check")
                && l.get("level").asText().equals("WARN") && l.get("formattedMessage").asText().equals("a java.util.logging record"));
        // Outside any request, no trace id.
        assertThat(lines).filteredOn(l -> l.get("formattedMessage").asText().startsWith("listening on"))
                .allMatch(l -> l.at("/mdc/trace_id").isMissingNode());
    }
}
