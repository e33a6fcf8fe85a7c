package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** GET /debug/profile: a running server says where its time went over a window of its real traffic. */
class DebugProfileTest {

    /** Seconds of the profiled window: long enough for six small requests on a loaded machine. */
    static final int WINDOW = 15;

    @Test
    void profileOfAWindow_countsTheRequestsAndPassesInIt() throws Exception {
        PeregrineServer server = TestServers.shared();
        TestClient client = new TestClient(server.port(), TestServers.API_KEY);
        CompletableFuture<HttpResponse<String>> profile = client.getAsync("/debug/profile?seconds=" + WINDOW);
        // the window has begun once the profile request is in flight (with the /metrics request asking)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Metrics.value(client, "peregrine_requests_in_flight") < 2) {
            assertThat(System.nanoTime()).as("profile request in flight").isLessThan(deadline);
            assertThat(profile).isNotDone();
        }
        // traffic inside the window (generous, so these finish in it even on a busy machine)
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(client.postAsync("/embed", "{\"inputs\": [\"debug profile text " + i + "\", \"another one\"]}"));
        }
        for (CompletableFuture<HttpResponse<String>> r : requests) {
            assertThat(r.get(120, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> answer = profile.get(120, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode json = TestClient.json(answer);
        assertThat(json.get("seconds").asDouble()).isGreaterThanOrEqualTo(WINDOW - 0.1);
        JsonNode model = json.path("models").path(TestServers.EMBEDDER);
        assertThat(model.get("requests").asLong()).isGreaterThanOrEqualTo(6);
        assertThat(model.get("forward_passes").asLong()).isBetween(1L, 12L);
        assertThat(model.get("tokenization_ms_mean").asDouble()).isPositive();
        assertThat(model.get("forward_pass_ms_mean").asDouble()).isPositive();
        assertThat(model.get("texts_per_pass").asDouble()).isGreaterThanOrEqualTo(1);
        assertThat(model.get("padded_tokens_per_pass").asDouble()).isGreaterThanOrEqualTo(model.get("texts_per_pass").asDouble());
        assertThat(model.get("request_ms_mean").asDouble()).isGreaterThanOrEqualTo(model.get("forward_pass_ms_mean").asDouble() * 0.5);
    }

    @Test
    void needsTheKey_andASensibleWindow() {
        PeregrineServer server = TestServers.shared();
        assertThat(new TestClient(server.port(), null).get("/debug/profile?seconds=1").statusCode()).isEqualTo(401);
        TestClient client = new TestClient(server.port(), TestServers.API_KEY);
        HttpResponse<String> tooLong = client.get("/debug/profile?seconds=3600");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("seconds must be a whole number from 1 to 60");
        assertThat(client.get("/debug/profile?seconds=abc").statusCode()).isEqualTo(400);
    }

    @Test
    void aServerWithoutAKey_hasNoDebugRoute() {
        ServeConfig config = ServeConfig.builder().host("127.0.0.1").port(0)
                .model(TestServers.CLASSIFIER, TestServers.classifierFolder().toString()).threads(1).build();
        PeregrineServer server = PeregrineServer.start(config, TestServers.resolver());
        try {
            HttpResponse<String> r = new TestClient(server.port(), null).get("/debug/profile?seconds=1");
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).contains("--api-key");
        } finally {
            server.stop();
        }
    }
}
