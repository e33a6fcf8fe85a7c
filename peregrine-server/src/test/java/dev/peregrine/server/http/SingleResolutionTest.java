package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request is resolved once, at the edge, and its defaults are decided in one place: the same text
 * sent without options to TEI's /embed, OpenAI's /v1/embeddings and KServe's infer gets the same
 * truncation and normalization, so the same vector, or the same refusal.
 */
class SingleResolutionTest {

    private static PeregrineServer server;
    private static Engine engine;

    @BeforeAll
    static void start() {
        server = TestServers.shared();
        engine = TestServers.directEmbedder();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static TestClient client() {
        return new TestClient(server.port(), TestServers.API_KEY);
    }

    /** The one vector of each route's answer, or null with the status when refused. */
    private static Map<String, HttpResponse<String>> threeRoutes(String text) {
        TestClient c = client();
        return Map.of(
                "tei", c.post("/embed", body(Map.of("inputs", text))),
                "openai", c.post("/v1/embeddings", body(Map.of("input", text, "model", TestServers.EMBEDDER))),
                "kserve", c.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(Map.of("inputs", List.of(Map.of(
                        "name", "text", "datatype", "BYTES", "shape", List.of(1), "data", List.of(text)))))));
    }

    private static float[] vector(String route, HttpResponse<String> r) {
        JsonNode v = switch (route) {
            case "tei" -> json(r).get(0);
            case "openai" -> json(r).get("data").get(0).get("embedding");
            default -> json(r).get("outputs").get(0).get("data");
        };
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).floatValue();
        }
        return out;
    }

    @Test
    void aTextWithoutOptions_getsTheSameNormalizedVector_onTeiOpenAiAndKServe() {
        String text = "Why was I charged twice this month?";
        float[] expected = engine.embed(List.of(text), true).get(0);
        threeRoutes(text).forEach((route, r) -> {
            assertThat(r.statusCode()).as(route + ": " + r.body()).isEqualTo(200);
            assertThat(vector(route, r)).as(route).containsExactly(expected);
        });
    }

    @Test
    void aTextOverTheLimitWithoutOptions_isTreatedTheSame_onTeiOpenAiAndKServe() {
        String text = "word ".repeat(2000);
        Map<String, HttpResponse<String>> answers = threeRoutes(text);
        if (server.config().longText().mode() == dev.peregrine.core.engine.LongTextMode.TRUNCATE) {
            float[] expected = engine.embed(List.of(text), true).get(0);
            answers.forEach((route, r) -> {
                assertThat(r.statusCode()).as(route + ": " + r.body()).isEqualTo(200);
                assertThat(vector(route, r)).as(route).containsExactly(expected);
            });
        } else {
            answers.forEach((route, r) -> {
                // OpenAI's clients get its 400 for every invalid request; the others 422.
                assertThat(r.statusCode()).as(route + ": " + r.body()).isEqualTo(route.equals("openai") ? 400 : 422);
                assertThat(r.body()).as(route).contains("2002 tokens");
            });
        }
    }
}
