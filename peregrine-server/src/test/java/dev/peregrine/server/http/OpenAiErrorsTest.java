package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every {@code /v1} failure in OpenAI's error shape, over real HTTP; the other routes keep theirs. */
class OpenAiErrorsTest {

    private static TestClient client;
    private static TestClient anonymous;

    @BeforeAll
    static void start() {
        int port = TestServers.shared().port();
        client = new TestClient(port, TestServers.API_KEY);
        anonymous = new TestClient(port, null);
    }

    private static JsonNode openAiError(HttpResponse<String> r, int status, String type, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        JsonNode o = json(r);
        assertThat(o.size()).as(r.body()).isEqualTo(1);
        JsonNode e = o.get("error");
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("type").asText()).isEqualTo(type);
        assertThat(e.has("param")).isTrue();
        assertThat(e.get("code").asText()).isEqualTo(code);
        return e;
    }

    @Test
    void missingKey_unknownRoute_malformedJson_tooLarge_allInOpenAisShape() {
        openAiError(anonymous.post("/v1/embeddings", body(Map.of("input", "a"))), 401, "authentication_error",
                "invalid_api_key");
        openAiError(anonymous.get("/v1/models"), 401, "authentication_error", "invalid_api_key");
        JsonNode notFound = openAiError(client.get("/v1/chat/completions"), 404, "invalid_request_error", "not_found");
        assertThat(notFound.get("message").asText()).contains("/v1/chat/completions");
        openAiError(client.post("/v1/embeddings", "{\"input\": [\"unterminated"), 400, "invalid_request_error", "malformed");
        openAiError(client.post("/v1/embeddings", ""), 400, "invalid_request_error", "malformed");
        String huge = body(Map.of("input", "x".repeat((int) TestServers.MAX_BODY + 1)));
        openAiError(client.post("/v1/embeddings", huge), 413, "invalid_request_error", "payload_too_large");
        // The same failures elsewhere keep text-embeddings-inference's shape.
        assertThat(json(client.get("/nope")).get("error_type").asText()).isEqualTo("NotFound");
    }

    @Test
    void invalidValues_are400_asOpenAiAnswersThem() {
        openAiError(client.post("/v1/embeddings", body(Map.of("input", "a", "encoding_format", "int8"))), 400,
                "invalid_request_error", "validation");
        openAiError(client.post("/v1/embeddings", body(Map.of("input", List.of()))), 400, "invalid_request_error", "empty");
        JsonNode task = openAiError(client.post("/v1/embeddings", body(Map.of("input", "a", "model", TestServers.CLASSIFIER))),
                400, "invalid_request_error", "validation");
        assertThat(task.get("message").asText()).contains("classifier");
        openAiError(client.get("/v1/models/text-embedding-3-large"), 404, "invalid_request_error", "not_found");
    }

    @Test
    void tokenIdInput_thatIsNotThisModelsTokenization_isRefusedClearly_neverRunAsSomethingElse() {
        // [unused0] [unused1] ...: ids no text tokenizes to, as a client's tiktoken ids usually are.
        for (Object ids : List.of(List.of(1, 2, 3), List.of(List.of(1, 2), List.of(3, 4)))) {
            JsonNode e = openAiError(client.post("/v1/embeddings", body(Map.of("input", ids, "model", TestServers.EMBEDDER))),
                    400, "invalid_request_error", "validation");
            assertThat(e.get("message").asText()).contains("not a tokenization").contains("should send the text");
        }
    }

    @Test
    void overloadAndServerFaults_mapToOpenAisTypes() {
        ApiException overloaded = new ApiException(ApiError.OVERLOADED, "busy");
        assertThat(OpenAiRoutes.status(overloaded)).isEqualTo(429);
        assertThat(parse(OpenAiRoutes.error(overloaded).toString())).isEqualTo(parse(
                "{\"error\":{\"message\":\"busy\",\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}"));
        ApiException timeout = new ApiException(ApiError.TIMEOUT, "late");
        assertThat(OpenAiRoutes.status(timeout)).isEqualTo(504);
        assertThat(parse(OpenAiRoutes.error(timeout).toString()).at("/error/type").asText()).isEqualTo("server_error");
    }

    private static JsonNode parse(String text) {
        try {
            return TestClient.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
