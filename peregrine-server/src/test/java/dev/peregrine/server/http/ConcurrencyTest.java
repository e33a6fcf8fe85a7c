package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * 32 concurrent clients x 200 mixed requests over every inference route: each gets exactly its own
 * results (compared with the engines called directly), and the server really batched them.
 */
class ConcurrencyTest {

    private static final int CLIENTS = 32;
    private static final int REQUESTS = 200;

    @Test
    void concurrentClients_getExactlyTheirOwnResults_andBatchesHoldMoreThanOneText() throws Exception {
        TestClient client = new TestClient(TestServers.shared().port(), TestServers.API_KEY);
        List<String> pool = new ArrayList<>();
        Map<String, float[]> vectors = new HashMap<>();
        Map<String, Classification> classes = new HashMap<>();
        try (Engine embedder = TestServers.directEmbedder(); Engine classifier = TestServers.directClassifier()) {
            for (String text : Fixtures.variedTexts()) {
                // Short texts keep the run lean on a 2-core machine; batching, not the model, is under test.
                if (!text.isBlank() && embedder.encode(List.of(text)).get(0).length() <= 16) {
                    pool.add(text);
                }
            }
            List<float[]> embedded = embedder.embed(pool, false);
            List<Classification> classified = classifier.classify(pool);
            for (int i = 0; i < pool.size(); i++) {
                vectors.put(pool.get(i), Vectors.normalized(embedded.get(i)));
                classes.put(pool.get(i), classified.get(i));
            }
        }
        assertThat(pool).hasSizeGreaterThanOrEqualTo(10);
        double batchesBefore = metric(client, "peregrine_batch_size_count");

        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                long seed = c;
                results.add(clients.submit(() -> runClient(client, new Random(seed), pool, vectors, classes)));
            }
            int checked = 0;
            long t0 = System.nanoTime();
            for (Future<Integer> f : results) {
                checked += f.get(5, TimeUnit.MINUTES);
            }
            System.out.printf("ConcurrencyTest: %d requests in %.1f s%n", checked, (System.nanoTime() - t0) / 1e9);
            assertThat(checked).isEqualTo(CLIENTS * REQUESTS);
        } finally {
            clients.shutdownNow();
        }

        String text = client.get("/metrics").body();
        double count = metric(text, "peregrine_batch_size_count") - batchesBefore;
        double sum = metric(text, "peregrine_batch_size_sum");
        double max = metric(text, "peregrine_batch_size_max");
        assertThat(count).isPositive();
        assertThat(max).as("largest batch of the default model").isGreaterThan(1);
        assertThat(sum / metric(text, "peregrine_batch_size_count")).as("mean batch size").isGreaterThan(1);
    }

    private static int runClient(TestClient client, Random random, List<String> pool, Map<String, float[]> vectors,
                                 Map<String, Classification> classes) {
        int done = 0;
        for (int r = 0; r < REQUESTS; r++) {
            int route = random.nextInt(5);
            // Classifier requests are cheap and carry up to four texts; embedding ones one or two.
            int n = route == 2 ? 1 + random.nextInt(4) : 1 + (random.nextInt(4) == 0 ? 1 : 0);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                texts.add(pool.get(random.nextInt(pool.size())));
            }
            switch (route) {
                case 0 -> {
                    JsonNode o = ok(client.post("/embed", body(Map.of("inputs", texts))));
                    for (int i = 0; i < n; i++) {
                        assertVector(o.get(i), vectors.get(texts.get(i)));
                    }
                }
                case 1 -> {
                    JsonNode o = ok(client.post("/v1/embeddings", body(Map.of("input", texts, "model", TestServers.EMBEDDER))));
                    for (int i = 0; i < n; i++) {
                        assertThat(o.at("/data/" + i + "/index").asInt()).isEqualTo(i);
                        assertVector(o.at("/data/" + i + "/embedding"), vectors.get(texts.get(i)));
                    }
                }
                case 2 -> {
                    JsonNode o = ok(client.post("/classify", body(Map.of("texts", texts))));
                    for (int i = 0; i < n; i++) {
                        Classification expected = classes.get(texts.get(i));
                        assertThat(o.at("/predictions/" + i + "/label").asText()).isEqualTo(expected.label());
                        assertThat(o.at("/predictions/" + i + "/score").floatValue()).isCloseTo(expected.score(), within(1e-5f));
                    }
                }
                case 3 -> {
                    JsonNode o = ok(client.post("/predict", body(Map.of("inputs", texts.get(0)))));
                    assertThat(o.at("/0/label").asText()).isEqualTo(classes.get(texts.get(0)).label());
                }
                default -> {
                    JsonNode o = ok(client.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(Map.of("inputs",
                            List.of(Map.of("name", "text", "shape", List.of(n), "datatype", "BYTES", "data", texts))))));
                    JsonNode data = o.at("/outputs/0/data");
                    assertThat(data.size()).isEqualTo(n * 384);
                    float[] expected = vectors.get(texts.get(n - 1));
                    for (int k = 0; k < 384; k++) {
                        assertThat(data.get((n - 1) * 384 + k).floatValue()).isCloseTo(expected[k], within(1e-4f));
                    }
                }
            }
            done++;
        }
        return done;
    }

    private static JsonNode ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static void assertVector(JsonNode array, float[] expected) {
        assertThat(array.size()).isEqualTo(expected.length);
        for (int k = 0; k < expected.length; k++) {
            assertThat(array.get(k).floatValue()).isCloseTo(expected[k], within(1e-4f));
        }
    }

    private static double metric(TestClient client, String name) {
        return metric(client.get("/metrics").body(), name);
    }

    /** The value of {@code name} for the default model in Prometheus text, or 0 when absent. */
    static double metric(String text, String name) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{model=\"" + TestServers.EMBEDDER + "\"[^}]*} (\\S+)$",
                Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
