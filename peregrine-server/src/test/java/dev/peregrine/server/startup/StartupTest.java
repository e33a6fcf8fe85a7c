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

    @Test
    void processStart_isReadToTheHundredth_beforeTheJvmInitialized() {
        long now = System.currentTimeMillis();
        long start = StartupReport.processStartEpochMillis(now);
        long vmInit = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        // The process exists before its JVM initializes (RuntimeMXBean's start time), by the time the
        // launcher takes to load libjvm: tens of milliseconds, not seconds; /proc reads to 10 ms.
        assertThat(start).isGreaterThan(0).isLessThanOrEqualTo(vmInit + 20).isGreaterThan(vmInit - 5_000);
        assertThat(start).isLessThanOrEqualTo(now);
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
    void info_reportsStartUpAndMemory_andTheNextStartReusesTheOptimizedGraph_withTheSameAnswers() throws Exception {
        Path cache = freshCache();
        JsonNode firstVectors;
        try (PeregrineServer server = PeregrineServer.start(embedder(cache).instances(2).build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            JsonNode info = json(client.get("/info"));
            JsonNode startup = info.get("startup");
            assertThat(startup.get("ready_at_ms").asLong()).isPositive();
            assertThat(startup.get("port_bound_at_ms").asLong()).isPositive()
                    .isLessThanOrEqualTo(startup.get("ready_at_ms").asLong());
            JsonNode model = startup.at("/models/0");
            assertThat(model.get("name").asText()).isEqualTo(TestServers.EMBEDDER);
            assertThat(model.get("session_ms").asLong()).isPositive();
            assertThat(model.get("load_ms").asLong()).as("the whole load covers its parts")
                    .isGreaterThanOrEqualTo(model.get("session_ms").asLong() + model.get("warm_up_ms").asLong());
            assertThat(startup.at("/phases_ms/routes_and_listen").isNumber()).isTrue();
            assertThat(model.get("optimized_graph").asText()).isEqualTo("written");
            assertThat(model.get("ready_at_ms").asLong()).isPositive()
                    .isLessThanOrEqualTo(startup.get("ready_at_ms").asLong());
            JsonNode memory = info.get("memory");
            assertThat(memory.get("rss_kb").asLong()).as("VmRSS of the server's process").isPositive();
            assertThat(memory.get("rss_at_ready_kb").asLong()).isPositive();
            JsonNode load = memory.at("/models/0");
            assertThat(load.get("first_instance_kb").isNumber()).isTrue();
            assertThat(load.get("instances").asInt()).isEqualTo(2);
            assertThat(load.get("sessions").asInt()).as("instances share one session by default").isEqualTo(1);
            assertThat(load.get("per_extra_instance_kb").isNumber()).as(load.toString()).isTrue();
            assertThat(load.get("model_file_kb").asLong()).as("the 86 MB graph").isGreaterThan(80_000);
            // Both workers run passes on the shared session at once.
            var replies = Stream.generate(() -> client.postAsync("/embed", body(Map.of("inputs", TEXTS,
                    "truncate", true)))).limit(6).toList();
            for (var r : replies) {
                assertThat(r.get().statusCode()).isEqualTo(200);
            }
            firstVectors = json(client.post("/embed", body(Map.of("inputs", TEXTS))));
        }
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).count()).isEqualTo(1);
        }
        try (PeregrineServer server = PeregrineServer.start(embedder(cache).instances(2).shareWeights(false).build(),
                TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            JsonNode info = json(client.get("/info"));
            assertThat(info.at("/startup/models/0/optimized_graph").asText()).isEqualTo("hit");
            assertThat(info.at("/memory/models/0/sessions").asInt()).as("--no-share-weights").isEqualTo(2);
            JsonNode again = json(client.post("/embed", body(Map.of("inputs", TEXTS))));
            assertThat(again).as("the cached graph answers exactly as the one optimized at load").isEqualTo(firstVectors);
        }
    }
}
