package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.LabelScore;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every route's success shape, over real HTTP, against the engines called directly. */
class RoutesTest {

    private static final List<String> TEXTS = List.of("where is my invoice?", "The printer is on fire again.",
            "Le chat dort sur le canapé.");

    private static TestClient client;
    private static Engine embedder;
    private static Engine classifier;

    @BeforeAll
    static void start() {
        PeregrineServer server = TestServers.shared();
        client = new TestClient(server.port(), TestServers.API_KEY);
        embedder = TestServers.directEmbedder();
        classifier = TestServers.directClassifier();
    }

    @AfterAll
    static void close() {
        embedder.close();
        classifier.close();
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static float[] expectedEmbedding(String text, boolean normalize) {
        float[] v = embedder.embed(List.of(text), false).get(0);
        return normalize ? Vectors.normalized(v) : v;
    }

    @Test
    void embed_teiShape_isAListOfListsEvenForOneText_andNormalizedByDefault() {
        HttpResponse<String> one = client.post("/embed", body(Map.of("inputs", TEXTS.get(0))));
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode vectors = json(one);
        assertThat(vectors.isArray()).isTrue();
        assertThat(vectors).hasSize(1);
        assertThat(floats(vectors.get(0))).containsExactly(expectedEmbedding(TEXTS.get(0), true), within(1e-5f));

        HttpResponse<String> many = client.post("/embed", body(Map.of("inputs", TEXTS, "normalize", false)));
        assertThat(many.statusCode()).isEqualTo(200);
        JsonNode all = json(many);
        assertThat(all).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(floats(all.get(i))).containsExactly(expectedEmbedding(TEXTS.get(i), false), within(1e-4f));
        }
    }

    @Test
    void inferenceResponses_carryTimingHeaders() {
        HttpResponse<String> r = client.post("/embed", body(Map.of("inputs", TEXTS)));
        for (String header : List.of("x-total-time", "x-tokenization-time", "x-queue-time", "x-inference-time")) {
            String value = r.headers().firstValue(header).orElseThrow(() -> new AssertionError("no " + header));
            assertThat(Double.parseDouble(value)).as(header).isGreaterThanOrEqualTo(0);
        }
        double total = Double.parseDouble(r.headers().firstValue("x-total-time").orElseThrow());
        double inference = Double.parseDouble(r.headers().firstValue("x-inference-time").orElseThrow());
        assertThat(inference).isGreaterThan(0).isLessThanOrEqualTo(total);
        int tokens = embedder.encode(TEXTS).stream().mapToInt(e -> e.length()).sum();
        assertThat(r.headers().firstValue("x-compute-tokens")).contains(Integer.toString(tokens));
    }

    @Test
    void openAiEmbeddings_haveOpenAisShape_floatAndBase64() {
        HttpResponse<String> r = client.post("/v1/embeddings", body(Map.of("input", TEXTS, "model", TestServers.EMBEDDER)));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode o = json(r);
        assertThat(o.get("object").asText()).isEqualTo("list");
        assertThat(o.get("model").asText()).isEqualTo(TestServers.EMBEDDER);
        assertThat(o.get("data")).hasSize(3);
        int tokens = embedder.encode(TEXTS).stream().mapToInt(e -> e.length()).sum();
        assertThat(o.at("/usage/prompt_tokens").asInt()).isEqualTo(tokens);
        assertThat(o.at("/usage/total_tokens").asInt()).isEqualTo(tokens);
        for (int i = 0; i < 3; i++) {
            JsonNode d = o.get("data").get(i);
            assertThat(d.get("object").asText()).isEqualTo("embedding");
            assertThat(d.get("index").asInt()).isEqualTo(i);
            assertThat(floats(d.get("embedding"))).containsExactly(expectedEmbedding(TEXTS.get(i), true), within(1e-5f));
        }

        HttpResponse<String> b64 = client.post("/v1/embeddings", body(Map.of("input", TEXTS.get(1),
                "model", TestServers.EMBEDDER, "encoding_format", "base64")));
        byte[] bytes = Base64.getDecoder().decode(json(b64).at("/data/0/embedding").asText());
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.length / 4];
        buf.asFloatBuffer().get(decoded);
        assertThat(decoded).containsExactly(expectedEmbedding(TEXTS.get(1), true), within(1e-5f));
    }

    @Test
    void classify_givesLabelScoreAndLatency_andTopKScores() {
        HttpResponse<String> r = client.post("/classify", body(Map.of("texts", TEXTS, "top_k", 2)));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode o = json(r);
        assertThat(o.get("latency_ms").asDouble()).isGreaterThan(0);
        List<Classification> expected = classifier.classify(TEXTS);
        assertThat(o.get("predictions")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode p = o.get("predictions").get(i);
            assertThat(p.get("label").asText()).isEqualTo(expected.get(i).label());
            assertThat(p.get("score").floatValue()).isCloseTo(expected.get(i).score(), within(1e-5f));
            assertThat(p.get("scores")).hasSize(2);
            assertThat(p.at("/scores/0/label").asText()).isEqualTo(expected.get(i).label());
        }
        JsonNode plain = json(client.post("/classify", body(Map.of("texts", TEXTS.subList(0, 1)))));
        assertThat(plain.at("/predictions/0").has("scores")).isFalse();
    }

    @Test
    void predict_teiShape_oneListForOneText_listOfListsForMany_sortedByScore() {
        HttpResponse<String> one = client.post("/predict", body(Map.of("inputs", TEXTS.get(0))));
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode single = json(one);
        List<LabelScore> ranked = classifier.classify(TEXTS.subList(0, 1)).get(0).ranked();
        assertThat(single).hasSize(3);
        for (int k = 0; k < 3; k++) {
            assertThat(single.get(k).get("label").asText()).isEqualTo(ranked.get(k).label());
            assertThat(single.get(k).get("score").floatValue()).isCloseTo(ranked.get(k).score(), within(1e-5f));
        }

        JsonNode batch = json(client.post("/predict", body(Map.of("inputs", List.of(List.of(TEXTS.get(0)), List.of(TEXTS.get(1)))))));
        assertThat(batch).hasSize(2);
        assertThat(batch.get(0).isArray()).isTrue();
        assertThat(batch.get(1).get(0).get("label").asText())
                .isEqualTo(classifier.classify(TEXTS.subList(1, 2)).get(0).label());
    }

    @Test
    void kserveV2_metadataHealthAndInfer_forBothTasks() {
        JsonNode server = json(client.get("/v2"));
        assertThat(server.get("name").asText()).isEqualTo("peregrine");
        assertThat(server.get("extensions").isArray()).isTrue();
        assertThat(client.get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/health/ready").statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/models/" + TestServers.EMBEDDER + "/ready").statusCode()).isEqualTo(200);

        JsonNode meta = json(client.get("/v2/models/" + TestServers.EMBEDDER));
        assertThat(meta.get("name").asText()).isEqualTo(TestServers.EMBEDDER);
        assertThat(meta.at("/inputs/0/datatype").asText()).isEqualTo("BYTES");
        assertThat(meta.at("/outputs/0/name").asText()).isEqualTo("embedding");
        assertThat(meta.at("/outputs/0/shape/1").asInt()).isEqualTo(384);

        Map<String, Object> request = Map.of("id", "42", "inputs", List.of(Map.of("name", "text", "shape", List.of(2),
                "datatype", "BYTES", "data", TEXTS.subList(0, 2))));
        HttpResponse<String> r = client.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(request));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode o = json(r);
        assertThat(o.get("model_name").asText()).isEqualTo(TestServers.EMBEDDER);
        assertThat(o.get("id").asText()).isEqualTo("42");
        JsonNode out = o.at("/outputs/0");
        assertThat(out.get("name").asText()).isEqualTo("embedding");
        assertThat(out.get("datatype").asText()).isEqualTo("FP32");
        assertThat(out.get("shape").toString()).isEqualTo("[2,384]");
        float[] flat = floats(out.get("data"));
        float[] second = java.util.Arrays.copyOfRange(flat, 384, 768);
        assertThat(second).containsExactly(embedder.embed(TEXTS.subList(1, 2)).get(0), within(1e-5f));

        Map<String, Object> cls = Map.of("inputs", List.of(Map.of("name", "text", "shape", List.of(1, 1),
                "datatype", "BYTES", "data", List.of(List.of(TEXTS.get(2))))));
        JsonNode c = json(client.post("/v2/models/" + TestServers.CLASSIFIER + "/infer", body(cls)));
        Classification expected = classifier.classify(TEXTS.subList(2, 3)).get(0);
        assertThat(c.at("/outputs/0/name").asText()).isEqualTo("probabilities");
        assertThat(c.at("/outputs/0/shape").toString()).isEqualTo("[1,3]");
        assertThat(floats(c.at("/outputs/0/data"))).containsExactly(expected.probabilities(), within(1e-5f));
        assertThat(c.at("/outputs/1/name").asText()).isEqualTo("label");
        assertThat(c.at("/outputs/1/data/0").asText()).isEqualTo(expected.label());
    }

    @Test
    void healthInfoAndMetrics_describeTheServer() {
        HttpResponse<String> health = client.get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("ok");

        JsonNode info = json(client.get("/info"));
        assertThat(info.get("models")).hasSize(2);
        assertThat(info.at("/models/0/name").asText()).isEqualTo(TestServers.EMBEDDER);
        assertThat(info.at("/models/0/dimension").asInt()).isEqualTo(384);
        assertThat(info.at("/models/1/labels").toString()).isEqualTo("[\"billing\",\"technical\",\"general\"]");
        assertThat(info.get("max_client_batch_size").asInt()).isEqualTo(TestServers.MAX_INPUTS);
        assertThat(info.get("cpu").asText()).isEqualTo(dev.peregrine.core.cpu.CpuFeatures.detect().summary());
        assertThat(info.at("/models/0/warnings").isArray()).isTrue();
        assertThat(info.at("/models/0/warnings")).isEmpty();

        client.post("/embed", body(Map.of("inputs", "metrics please")));
        HttpResponse<String> metrics = client.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        String text = metrics.body();
        assertThat(text).contains("peregrine_requests_total{model=\"all-minilm-l6-v2\",route=\"/embed\",status=\"200\"}");
        assertThat(text).contains("peregrine_request_duration_seconds_bucket");
        assertThat(text).contains("peregrine_queue_duration_seconds_bucket");
        assertThat(text).contains("peregrine_tokenization_duration_seconds_bucket");
        assertThat(text).contains("peregrine_inference_duration_seconds_bucket");
        assertThat(text).contains("peregrine_batch_size_bucket");
        assertThat(text).contains("peregrine_batch_tokens_bucket");
        assertThat(text).contains("peregrine_queue_depth{model=\"all-minilm-l6-v2\"}");
        assertThat(text).contains("peregrine_model_info{");
    }
}
