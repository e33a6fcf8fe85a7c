package dev.peregrine.server.drift;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.monitor.DriftReference;
import dev.peregrine.monitor.Observation;
import dev.peregrine.monitor.ReferenceBuilder;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift monitoring over real HTTP: a reference file, then normal, German and normal traffic again. */
class DriftServerTest {

    @TempDir
    Path dir;

    private final Random random = new Random(5);

    private static Path referenceFile(Path dir) throws Exception {
        ReferenceBuilder builder = new ReferenceBuilder(TestServers.EMBEDDER, Task.EMBEDDING, List.of());
        try (Engine engine = TestServers.directEmbedder()) {
            List<String> texts = Datasets.driftReference();
            List<EncodedText> encoded = engine.encode(texts);
            float[][] rows = engine.run(encoded);
            for (int i = 0; i < rows.length; i++) {
                EncodedText e = encoded.get(i);
                builder.add(Observation.embedded(e.length(), e.truncated(), e.unknownTokens(), rows[i]));
            }
        }
        Path file = dir.resolve("reference.json");
        builder.build().write(file);
        return file;
    }

    private void send(TestClient client, List<String> pool, int texts) {
        for (int sent = 0; sent < texts; sent += 10) {
            List<String> batch = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                batch.add(pool.get(random.nextInt(pool.size())));
            }
            assertThat(client.post("/embed", body(Map.of("inputs", batch))).statusCode()).isEqualTo(200);
        }
    }

    /** The monitor works on its own thread: poll /drift until {@code condition} holds (or fail). */
    private static JsonNode awaitDrift(TestClient client, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode model = null;
        while (System.nanoTime() < deadline) {
            model = json(client.get("/drift")).get("models").get(0);
            if (condition.test(model)) {
                return model;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("drift never reached the expected state; last report: " + model);
    }

    private static String status(JsonNode model, String level) {
        return model.get("levels").get(level).get("status").asText();
    }

    @Test
    void normalTrafficStaysOk_germanAlertsPredictions_andNormalTrafficBringsItBack() throws Exception {
        Path reference = referenceFile(dir);
        Path log = dir.resolve("log");
        // A 200-prediction window: small enough for a quick test, large enough that sampling noise stays
        // under the warn lines (PSI's bias is about (bins - 1) / window).
        DriftConfig drift = new DriftConfig(true, Map.of("", reference), 1000, 200, 1000, log, 1.0, 1 << 20, 2, false);
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).drift(drift).build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            List<String> english = Datasets.driftReference();

            send(client, english, 250);
            JsonNode ok = awaitDrift(client, m -> m.get("observed").asLong() >= 250
                    && m.get("levels").get("inputs").get("window").asLong() >= 180);
            assertThat(ok.get("reference").asText()).contains("reference.json");
            assertThat(status(ok, "inputs")).isEqualTo("ok");
            assertThat(status(ok, "predictions")).isEqualTo("ok");
            assertThat(status(ok, "confidence")).isEqualTo("not_applicable");
            assertThat(ok.get("levels").get("predictions").get("thresholds").has("centroid_shift_relative_alert")).isTrue();

            send(client, Datasets.driftGerman(), 250);
            JsonNode alert = awaitDrift(client, m -> status(m, "predictions").equals("alert"));
            assertThat(alert.get("status").asText()).isEqualTo("alert");
            assertThat(alert.get("levels").get("predictions").get("reason").asText()).contains("centroid shift");
            assertThat(Metrics.value(client, "peregrine_drift_status", "level=predictions")).isEqualTo(2.0);

            send(client, english, 250);
            JsonNode back = awaitDrift(client, m -> status(m, "predictions").equals("ok"));
            assertThat(status(back, "inputs")).isEqualTo("ok");
            assertThat(json(client.get("/drift/" + TestServers.EMBEDDER)).get("model").asText()).isEqualTo(TestServers.EMBEDDER);
            assertThat(client.get("/drift/nope").statusCode()).isEqualTo(404);
        }
        List<String> lines = Files.readAllLines(log.resolve(TestServers.EMBEDDER + ".jsonl"));
        assertThat(lines).hasSizeGreaterThanOrEqualTo(750);
        assertThat(lines.get(0)).contains("\"text_sha256\"").doesNotContain("\"text\"");
    }

    @Test
    void withMonitoringOff_driftIsNotFound() {
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).drift(DriftConfig.disabled()).build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            var r = client.get("/drift");
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(json(r).get("error").asText()).contains("drift monitoring is off");
        }
    }
}
