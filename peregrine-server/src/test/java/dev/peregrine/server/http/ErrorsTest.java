package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import dev.peregrine.server.inference.ServiceException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error status, in the one JSON shape, over real HTTP; and the server still answers afterwards. */
class ErrorsTest {

    private static TestClient client;
    private static TestClient anonymous;

    @BeforeAll
    static void start() {
        int port = TestServers.shared().port();
        client = new TestClient(port, TestServers.API_KEY);
        anonymous = new TestClient(port, null);
    }

    private static JsonNode expectError(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        JsonNode o = json(r);
        assertThat(o.get("error").asText()).isNotBlank();
        assertThat(o.get("error_type").asText()).isEqualTo(type);
        return o;
    }

    @Test
    void malformedJson_is400() {
        expectError(client.post("/embed", "{\"inputs\": [\"unterminated"), 400, "Validation");
    }

    @Test
    void emptyInput_is400() {
        expectError(client.post("/embed", body(Map.of("inputs", List.of()))), 400, "Empty");
        expectError(client.post("/embed", body(Map.of("inputs", ""))), 400, "Empty");
        expectError(client.post("/classify", body(Map.of("texts", List.of("ok", "")))), 400, "Empty");
    }

    @Test
    void wrongTypes_are422() {
        expectError(client.post("/embed", body(Map.of("inputs", 42))), 422, "Validation");
        expectError(client.post("/embed", body(Map.of("inputs", List.of("a", 7)))), 422, "Validation");
        expectError(client.post("/embed", body(Map.of("inputs", "a", "normalize", "yes"))), 422, "Validation");
        expectError(client.post("/embed", "[\"a list, not an object\"]"), 422, "Validation");
        expectError(client.post("/classify", body(Map.of("texts", List.of("a"), "top_k", 0))), 422, "Validation");
        expectError(client.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(Map.of("inputs", List.of(
                Map.of("name", "text", "shape", List.of(1), "datatype", "FP32", "data", List.of(1.0)))))), 422, "Validation");
        expectError(client.post("/embed", body(Map.of("inputs", "x", "model", TestServers.CLASSIFIER))), 422, "Validation");
    }

    @Test
    void textTooLong_withTruncateFalse_is422_withTheTokenCounts_andTruncateTrueCutsIt() {
        String longText = "word ".repeat(600);
        JsonNode e = expectError(client.post("/embed", body(Map.of("inputs", longText, "truncate", false))), 422, "Validation");
        assertThat(e.get("error").asText()).contains("602 tokens").contains("limit of 256");
        assertThat(client.post("/embed", body(Map.of("inputs", longText, "truncate", true))).statusCode()).isEqualTo(200);
    }

    @Test
    void tooManyInputs_is422() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i <= TestServers.MAX_INPUTS; i++) {
            texts.add("text " + i);
        }
        JsonNode e = expectError(client.post("/embed", body(Map.of("inputs", texts))), 422, "Validation");
        assertThat(e.get("error").asText()).contains("65 texts").contains("limit of 64");
    }

    @Test
    void bodyOverTheLimit_is413() {
        String huge = body(Map.of("inputs", "x".repeat((int) TestServers.MAX_BODY)));
        expectError(client.post("/embed", huge), 413, "PayloadTooLarge");
    }

    @Test
    void unknownModelOrRoute_is404() {
        expectError(client.post("/embed", body(Map.of("inputs", "x", "model", "nope"))), 404, "NotFound");
        expectError(client.post("/v2/models/nope/infer", body(Map.of("inputs", List.of()))), 404, "NotFound");
        expectError(client.get("/v2/models/nope"), 404, "NotFound");
        expectError(client.get("/no/such/route"), 404, "NotFound");
    }

    @Test
    void wrongMethod_is405() {
        expectError(client.get("/embed"), 405, "MethodNotAllowed");
        expectError(client.send(client.request("/health").DELETE().build()), 405, "MethodNotAllowed");
    }

    @Test
    void missingOrWrongApiKey_is401_butHealthAndMetricsAreOpen() {
        expectError(anonymous.post("/embed", body(Map.of("inputs", "x"))), 401, "Unauthorized");
        HttpResponse<String> wrong = anonymous.send(anonymous.request("/info").header("Authorization", "Bearer nope")
                .GET().build());
        expectError(wrong, 401, "Unauthorized");
        assertThat(anonymous.get("/health").statusCode()).isEqualTo(200);
        assertThat(anonymous.get("/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void failuresAreCountedByErrorType_andTheServerStillAnswers() {
        client.post("/embed", body(Map.of("inputs", 42)));
        String metrics = client.get("/metrics").body();
        assertThat(metrics).containsPattern("peregrine_request_failures_total\\{err=\"Validation\",model=\"all-minilm-l6-v2\",route=\"/embed\"}");
        assertThat(metrics).contains("status=\"422\"");
        assertThat(client.post("/embed", body(Map.of("inputs", "still fine"))).statusCode()).isEqualTo(200);
    }

    @Test
    void errorMapping_coversEveryLayer_andNeverBlamesTheClientForAServerFault() {
        assertThat(ErrorMapping.of(new ServiceException.Overloaded("full")).error()).isEqualTo(ApiError.OVERLOADED);
        assertThat(ErrorMapping.of(new ServiceException.ShuttingDown("closing")).error()).isEqualTo(ApiError.UNHEALTHY);
        assertThat(ErrorMapping.of(new TimeoutException()).error()).isEqualTo(ApiError.TIMEOUT);
        assertThat(ErrorMapping.of(new PeregrineException(ErrorKind.INPUT_TOO_LONG, "long")).error()).isEqualTo(ApiError.VALIDATION);
        assertThat(ErrorMapping.of(new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "x")).error()).isEqualTo(ApiError.NOT_FOUND);
        assertThat(ErrorMapping.of(new PeregrineException(ErrorKind.INFERENCE_FAILED, "x")).error().status()).isEqualTo(500);
        ApiException bug = ErrorMapping.of(new NullPointerException("secret detail"));
        assertThat(bug.error()).isEqualTo(ApiError.INTERNAL);
        assertThat(bug.getMessage()).doesNotContain("secret detail");
        assertThat(ApiError.OVERLOADED.status()).isEqualTo(429);
        assertThat(ApiError.UNHEALTHY.status()).isEqualTo(503);
    }

    @Test
    void headOfAnInferenceRoute_is405_withoutBody() {
        HttpResponse<String> r = client.send(client.request("/embed").method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(r.statusCode()).isEqualTo(405);
    }
}
