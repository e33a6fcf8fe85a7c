package dev.peregrine.server.startup;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The start-up report and memory figures in /info, the optimized-graph cache across starts, shared weights. */
class StartupTest {

    private static final List<String> TEXTS = List.of("Why was I charged twice?", "The app crashes on start.");

    private static ServeConfig.Builder embedder(Path graphCache) {
        return ServeConfig.builder().host("127.0.0.1").port(0).model(TestServers.EMBEDDER, TestServers.EMBEDDER)
                .threads(1).tokenizerThreads(1).graphCache(graphCache);
    }

    private static Path freshCache() throws Exception {
        Path dir = Path.of("target", "startup-test-graph-cache").toAbsolutePath();
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return dir;
    }

    @Test
    void info_reportsWhereStartUpWent_andTheGraphCacheIsReusedOnTheNextStart_withTheSameAnswers() throws Exception {
        Path cache = freshCache();
        JsonNode firstVectors;
        try (PeregrineServer server = PeregrineServer.start(embedder(cache).build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            JsonNode info = json(client.get("/info"));
            JsonNode startup = info.get("startup");
            assertThat(startup.get("ready_at_ms").asLong()).isPositive();
            assertThat(startup.get("port_bound_at_ms").asLong()).isPositive()
                    .isLessThanOrEqualTo(startup.get("ready_at_ms").asLong());
            JsonNode model = startup.at("/models/0");
            assertThat(model.get("name").asText()).isEqualTo(TestServers.EMBEDDER);
            assertThat(model.get("session_ms").asLong()).isPositive();
            assertThat(model.get("optimized_graph").asText()).isEqualTo("written");
            assertThat(model.get("ready_at_ms").asLong()).isPositive()
                    .isLessThanOrEqualTo(startup.get("ready_at_ms").asLong());
            JsonNode memory = info.get("memory");
            assertThat(memory.get("rss_kb").asLong()).as("VmRSS of the server's process").isPositive();
            assertThat(memory.get("rss_at_ready_kb").asLong()).isPositive();
            assertThat(memory.at("/models/0/first_instance_kb").isNumber()).isTrue();
            firstVectors = json(client.post("/embed", body(Map.of("inputs", TEXTS))));
        }
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).count()).isEqualTo(1);
        }
        try (PeregrineServer server = PeregrineServer.start(embedder(cache).build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            assertThat(json(client.get("/info")).at("/startup/models/0/optimized_graph").asText()).isEqualTo("hit");
            JsonNode again = json(client.post("/embed", body(Map.of("inputs", TEXTS))));
            assertThat(again).as("the cached graph answers exactly as the one optimized at load").isEqualTo(firstVectors);
        }
    }

    @Test
    void instancesShareOneSession_byDefault_andEachGetsItsOwnWithoutSharing() throws Exception {
        Path cache = freshCache();
        for (boolean share : List.of(true, false)) {
            try (PeregrineServer server = PeregrineServer.start(embedder(cache).instances(2).shareWeights(share).build(),
                    TestServers.resolver())) {
                TestClient client = new TestClient(server.port(), null);
                JsonNode model = json(client.get("/info")).at("/memory/models/0");
                assertThat(model.get("instances").asInt()).isEqualTo(2);
                assertThat(model.get("sessions").asInt()).isEqualTo(share ? 1 : 2);
                assertThat(model.get("per_extra_instance_kb").isNumber()).as(model.toString()).isTrue();
                // Both workers answer: more requests at once than one worker would take alone.
                var replies = Stream.generate(() -> client.postAsync("/embed", body(Map.of("inputs", TEXTS))))
                        .limit(8).toList();
                for (var r : replies) {
                    assertThat(r.get().statusCode()).isEqualTo(200);
                }
            }
        }
    }
}
