package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.embeddings.EmbeddingModel;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import dev.peregrine.core.testing.HandWindows;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Long texts over real HTTP: {@code long_text: chunk} on every route against windows cut and run
 * by hand through the engine (and, for the tiny classifier, logits computed by hand); reject and
 * truncate as before; the character limit; windows in responses and metrics.
 */
class LongTextTest {

    private static TestClient client;
    private static Engine embedder;
    private static String longText;
    private static long[] longIds;
    private static final String SHORT = "where is my invoice?";

    @BeforeAll
    static void start() {
        client = new TestClient(TestServers.shared().port(), TestServers.API_KEY);
        embedder = TestServers.directEmbedder();
        longText = HandWindows.longText(tokenizer(), 2000);
        longIds = HandWindows.wholeIds(tokenizer(), longText);
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    private static Path tokenizer() {
        return TestServers.classifierFolder().resolve("tokenizer.json");
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    /** The documented pooling, by hand: each 256-token window alone through the engine, unit length, weighted by its tokens. */
    private static float[] handEmbedding(long[] ids) {
        double[] sum = new double[embedder.info().dimension()];
        double total = 0;
        for (long[] w : HandWindows.split(ids, 256, 32)) {
            float[] v = Vectors.normalized(embedder.forward(List.of(new EncodedText(w, new long[w.length], false, 0)))[0]);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += w.length * (double) v[i];
            }
            total += w.length;
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (float) (sum[i] / total);
        }
        return Vectors.normalizeInPlace(out);
    }

    @Test
    void embedChunk_poolsTheWindowsOfA2000TokenText_asComputedByHand_andSaysHowManyRan() {
        int windows = HandWindows.split(longIds, 256, 32).size();
        double before = Metrics.value(client, "peregrine_long_text_windows_sum", "model=" + TestServers.EMBEDDER);

        HttpResponse<String> r = client.post("/embed", body(Map.of("inputs", List.of(longText, SHORT),
                "long_text", "chunk")));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(windows).isGreaterThanOrEqualTo(9);
        assertThat(r.headers().firstValue("x-long-text-windows")).contains(windows + ",1");
        int shortTokens = embedder.encode(List.of(SHORT)).get(0).length();
        assertThat(r.headers().firstValue("x-compute-tokens")).contains(Integer.toString(longIds.length + shortTokens));
        assertThat(floats(json(r).get(0))).containsExactly(handEmbedding(longIds), within(1e-5f));
        assertThat(floats(json(r).get(1))).containsExactly(embedder.embed(List.of(SHORT), true).get(0), within(1e-5f));
        // Every text run in chunk mode is counted (the short one as one window); cache hits would not be.
        double after = Metrics.value(client, "peregrine_long_text_windows_sum", "model=" + TestServers.EMBEDDER);
        assertThat(after - before).isEqualTo(windows + 1);

        // From the cache: the same vector, and the same window count.
        HttpResponse<String> again = client.post("/embed", body(Map.of("inputs", List.of(longText, SHORT),
                "long_text", "chunk")));
        assertThat(again.headers().firstValue("x-long-text-windows")).contains(windows + ",1");
        assertThat(floats(json(again).get(0))).containsExactly(floats(json(r).get(0)));
    }

    @Test
    void openAiAndKServe_chunkToo_reportingWindowsInTheirOwnShapes() {
        int windows = HandWindows.split(longIds, 256, 32).size();
        float[] expected = handEmbedding(longIds);
        HttpResponse<String> openAi = client.post("/v1/embeddings", body(Map.of("input", List.of(SHORT, longText),
                "model", TestServers.EMBEDDER, "long_text", "chunk")));
        assertThat(openAi.statusCode()).as(openAi.body()).isEqualTo(200);
        JsonNode o = json(openAi);
        assertThat(o.at("/data/0/windows").asInt()).isEqualTo(1);
        assertThat(o.at("/data/1/windows").asInt()).isEqualTo(windows);
        assertThat(floats(o.at("/data/1/embedding"))).containsExactly(expected, within(1e-5f));
        assertThat(o.at("/usage/prompt_tokens").asInt()).as("each token of the text once")
                .isEqualTo(longIds.length + embedder.encode(List.of(SHORT)).get(0).length());

        HttpResponse<String> kserve = client.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(Map.of(
                "inputs", List.of(Map.of("name", "text", "shape", List.of(1), "datatype", "BYTES", "data", List.of(longText))),
                "parameters", Map.of("long_text", "chunk"))));
        assertThat(kserve.statusCode()).as(kserve.body()).isEqualTo(200);
        JsonNode outputs = json(kserve).get("outputs");
        assertThat(outputs.get(0).get("name").asText()).isEqualTo("embedding");
        assertThat(floats(outputs.get(0).get("data"))).containsExactly(expected, within(1e-5f));
        assertThat(outputs.get(1).get("name").asText()).isEqualTo("windows");
        assertThat(outputs.get(1).get("datatype").asText()).isEqualTo("INT32");
        assertThat(outputs.get(1).get("data").get(0).asInt()).isEqualTo(windows);
    }

    @Test
    void theOfficialOpenAiSdk_sendsLongTextAsAnExtraField_andParsesTheAnswerWithItsWindows() {
        OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + TestServers.shared().port() + "/v1")
                .apiKey(TestServers.API_KEY).maxRetries(0).build();
        CreateEmbeddingResponse r = sdk.embeddings().create(EmbeddingCreateParams.builder()
                .model(EmbeddingModel.TEXT_EMBEDDING_3_SMALL).inputOfArrayOfStrings(List.of(SHORT, longText))
                .putAdditionalBodyProperty("long_text", JsonValue.from("chunk")).build());
        assertThat(r.data()).hasSize(2);
        Embedding split = r.data().get(1);
        assertThat(((Number) split._additionalProperties().get("windows").asNumber().orElseThrow()).intValue())
                .isEqualTo(HandWindows.split(longIds, 256, 32).size());
        assertThat(((Number) r.data().get(0)._additionalProperties().get("windows").asNumber().orElseThrow()).intValue()).isEqualTo(1);
        float[] vector = new float[split.embedding().size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = split.embedding().get(i);
        }
        assertThat(vector).containsExactly(handEmbedding(longIds), within(1e-5f));
    }

    @Test
    void classifierChunk_isTheSoftmaxOfTheMeanOfTheWindowsLogits_computedByHand() {
        // The shared server's tiny classifier: TinyWeights.of(3, 42), 512-token windows.
        TinyWeights w = TinyWeights.of(3, 42);
        List<long[]> windows = HandWindows.split(longIds, 512, 32);
        float[] mean = new float[3];
        for (long[] window : windows) {
            float[] logits = w.expectedLogits(window);
            for (int c = 0; c < 3; c++) {
                mean[c] += logits[c] / windows.size();
            }
        }
        float[] expected = Vectors.softmaxInPlace(mean);

        HttpResponse<String> r = client.post("/classify", body(Map.of("texts", List.of(longText),
                "long_text", "chunk", "return_all_scores", true)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode p = json(r).at("/predictions/0");
        assertThat(p.get("windows").asInt()).isEqualTo(windows.size()).isGreaterThanOrEqualTo(4);
        Map<String, Float> scores = new LinkedHashMap<>();
        p.get("scores").forEach(s -> scores.put(s.get("label").asText(), s.get("score").floatValue()));
        for (int c = 0; c < 3; c++) {
            assertThat(scores.get(TestServers.LABELS.get(c))).as(TestServers.LABELS.get(c))
                    .isCloseTo(expected[c], within(1e-5f));
        }

        HttpResponse<String> predict = client.post("/predict", body(Map.of("inputs", longText, "long_text", "chunk")));
        assertThat(predict.statusCode()).as(predict.body()).isEqualTo(200);
        assertThat(predict.headers().firstValue("x-long-text-windows")).contains(Integer.toString(windows.size()));
        json(predict).forEach(s -> assertThat(s.get("score").floatValue())
                .isCloseTo(expected[TestServers.LABELS.indexOf(s.get("label").asText())], within(1e-5f)));
    }

    @Test
    void rejectIsStillTheDefault_aClear422NamingTheLimit_andTruncateIsUnchanged() {
        for (Map<String, Object> request : List.<Map<String, Object>>of(Map.of("inputs", longText),
                Map.of("inputs", longText, "long_text", "reject"), Map.of("inputs", longText, "truncate", false))) {
            HttpResponse<String> r = client.post("/embed", body(request));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(json(r).get("error").asText()).contains(longIds.length + " tokens").contains("limit of 256")
                    .contains("chunking");
            assertThat(r.headers().firstValue("x-long-text-windows")).isEmpty();
        }
        float[] truncated = embedder.embed(List.of(longText), true).get(0);
        for (Map<String, Object> request : List.<Map<String, Object>>of(Map.of("inputs", longText, "truncate", true),
                Map.of("inputs", longText, "long_text", "truncate"))) {
            HttpResponse<String> r = client.post("/embed", body(request));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-compute-tokens")).contains("256");
            assertThat(r.headers().firstValue("x-long-text-windows")).isEmpty();
            assertThat(floats(json(r).get(0))).containsExactly(truncated, within(1e-5f));
        }
    }

    @Test
    void contradictoryOrUnknownOptions_areClear4xx() {
        HttpResponse<String> both = client.post("/embed", body(Map.of("inputs", SHORT, "truncate", true,
                "long_text", "chunk")));
        assertThat(both.statusCode()).isEqualTo(422);
        assertThat(json(both).get("error").asText()).contains("contradicts");
        HttpResponse<String> unknown = client.post("/classify", body(Map.of("texts", List.of(SHORT), "long_text", "split")));
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(json(unknown).get("error").asText()).contains("truncate").contains("chunk").contains("reject");
        HttpResponse<String> openAi = client.post("/v1/embeddings", body(Map.of("input", SHORT, "long_text", 3)));
        assertThat(openAi.statusCode()).isEqualTo(400);
        assertThat(json(openAi).at("/error/message").asText()).contains("long_text");
    }

    @Test
    void aLongEmailIsSplit_butANineMegabyteTextIsRefusedAtOnce_namingTheCharacterLimit() {
        String email = ("Hello, I was charged twice for my subscription this month and the invoice does not match "
                + "what the plan page says. ").repeat(20_000 / 110);
        HttpResponse<String> ok = client.post("/embed", body(Map.of("inputs", email, "long_text", "chunk")));
        assertThat(email.length()).isGreaterThan(19_000);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(Integer.parseInt(ok.headers().firstValue("x-long-text-windows").orElseThrow())).isGreaterThan(10);

        String tooLong = "a b ".repeat(200_000 / 4);
        HttpResponse<String> refused = client.post("/embed", body(Map.of("inputs", List.of(SHORT, tooLong),
                "long_text", "chunk")));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        assertThat(json(refused).get("error").asText()).contains("input 1 has 200000 characters")
                .contains("limit of 100000 characters");
    }

    @Test
    void aServerThatChunksByDefault_splitsWithoutBeingAsked_refusesNineMegabytesAtOnce_andServesOthersBeside()
            throws Exception {
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).longText(LongTextMode.CHUNK).build(),
                TestServers.resolver())) {
            TestClient own = new TestClient(server.port(), null);
            assertThat(json(own.get("/info")).at("/long_text/mode").asText()).isEqualTo("chunk");
            int windows = HandWindows.split(longIds, 256, 32).size();
            var big = own.postAsync("/embed", body(Map.of("inputs", longText, "normalize", true)));
            var small = own.postAsync("/embed", body(Map.of("inputs", "three short words")));
            HttpResponse<String> r = big.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-long-text-windows")).contains(Integer.toString(windows));
            assertThat(floats(json(r).get(0))).containsExactly(handEmbedding(longIds), within(1e-5f));
            assertThat(small.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            // A request can still ask for the old behaviour.
            assertThat(own.post("/embed", body(Map.of("inputs", longText, "long_text", "reject"))).statusCode())
                    .isEqualTo(422);

            String huge = "a b ".repeat(9 * 1024 * 1024 / 4);
            long t0 = System.nanoTime();
            HttpResponse<String> refused = own.post("/embed", body(Map.of("inputs", huge)));
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
            assertThat(json(refused).get("error").asText()).contains(huge.length() + " characters")
                    .contains("limit of 100000 characters");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("refused before tokenizing").isLessThan(10_000);
        }
    }
}
