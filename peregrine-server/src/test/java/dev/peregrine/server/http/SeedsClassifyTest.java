package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --classify-format seeds}: a client written for the seeds' FastAPI app works unchanged; and
 * {@code --served-model-name} names the one served model everywhere, its own name still answering.
 */
class SeedsClassifyTest {

    private static PeregrineServer server;
    private static TestClient client;

    @BeforeAll
    static void start() {
        server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model(null, TestServers.classifierFolder().toString())
                .servedModelName("support")
                .classifyFormat(ServeConfig.ClassifyFormat.SEEDS)
                .threads(1).tokenizerThreads(1).build(), TestServers.resolver());
        client = new TestClient(server.port(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void seedsRequest_getsPlainLabelsAndLatency_asTheEngineClassifies() {
        List<String> texts = List.of("I was charged twice for my subscription", "The app crashes when I upload a file");

        HttpResponse<String> r = client.post("/classify", body(Map.of("texts", texts)));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = json(r);
        List<String> fields = new ArrayList<>();
        o.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("predictions", "latency_ms");
        assertThat(o.get("latency_ms").isNumber()).isTrue();
        assertThat(o.get("latency_ms").asDouble()).isPositive();
        List<String> expected;
        try (Engine engine = TestServers.directClassifier()) {
            expected = engine.classify(texts).stream().map(Classification::label).toList();
        }
        List<String> labels = new ArrayList<>();
        for (JsonNode p : o.get("predictions")) {
            assertThat(p.isTextual()).as(r.body()).isTrue();
            labels.add(p.asText());
        }
        assertThat(labels).isEqualTo(expected);
    }

    @Test
    void emptyListOrMoreThan32Texts_is400_withFastApisDetail() {
        for (List<String> texts : List.of(List.<String>of(), Collections.nCopies(33, "refund please"))) {
            HttpResponse<String> r = client.post("/classify", body(Map.of("texts", texts)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(json(r).get("detail").asText()).isNotBlank();
        }
        assertThat(client.post("/classify", body(Map.of("texts", Collections.nCopies(32, "refund please"))))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void servedModelName_namesTheModelEverywhere_andItsOwnNameStillAnswers() {
        assertThat(json(client.get("/v1/models")).at("/data/0/id").asText()).isEqualTo("support");
        assertThat(json(client.get("/info")).at("/models/0/name").asText()).isEqualTo("support");
        assertThat(json(client.get("/info")).at("/models/0/aliases/0").asText()).isEqualTo(TestServers.CLASSIFIER);
        HttpResponse<String> own = client.post("/predict", body(Map.of("inputs", "refund", "model", TestServers.CLASSIFIER)));
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        assertThat(own.headers().firstValue("x-model")).contains("support");
        assertThat(client.get("/v2/models/" + TestServers.CLASSIFIER).statusCode()).isEqualTo(200);
        assertThat(client.post("/classify", body(Map.of("texts", List.of("refund"), "model", "support"))).statusCode())
                .isEqualTo(200);
        assertThat(client.post("/predict", body(Map.of("inputs", "refund", "model", "other"))).statusCode()).isEqualTo(404);
    }

    @Test
    void servedModelName_withSeveralModels_andAnUnknownClassifyFormat_areRefusedAtStart() {
        assertThatThrownBy(() -> TestServers.config().servedModelName("support").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("--model NAME=REF");
        assertThatThrownBy(() -> ServeConfig.builder().servedModelName("not a name!").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 1-128 letters");
        assertThatThrownBy(() -> ServeConfig.ClassifyFormat.parse("fastapi"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peregrine or seeds");
    }
}
