package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Kubernetes probes (issue 10, finding 5): public, and never refused or slowed by admission. */
class ProbesTest {

    private static final List<String> PROBES = List.of("/livez", "/readyz", "/startupz", "/health",
            "/v2/health/live", "/v2/health/ready");

    @Test
    void everyProbeAnswers200_withoutTheApiKey_onAStartedServer() {
        PeregrineServer server = TestServers.shared();
        TestClient anonymous = new TestClient(server.port(), null);
        for (String probe : PROBES) {
            HttpResponse<String> r = anonymous.get(probe);
            assertThat(r.statusCode()).as(probe).isEqualTo(200);
        }
        assertThat(json(anonymous.get("/readyz")).get("status").asText()).isEqualTo("ok");
        assertThat(anonymous.get("/info").statusCode()).as("info still needs the key").isEqualTo(401);
    }

    @Test
    void probesStay200_duringAFloodThatIsRefusedWith429() throws Exception {
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).maxConcurrentRequests(2).build(),
                TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                texts.add("a flood text number " + i + " with enough words to take the model a moment ".repeat(4));
            }
            List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                flood.add(client.postAsync("/embed", body(Map.of("inputs", texts, "truncate", true))));
            }
            int probes = 0;
            while (!flood.stream().allMatch(CompletableFuture::isDone) || probes < PROBES.size()) {
                String probe = PROBES.get(probes % PROBES.size());
                assertThat(client.get(probe).statusCode()).as(probe + " during the flood").isEqualTo(200);
                probes++;
            }
            int refused = 0;
            for (CompletableFuture<HttpResponse<String>> f : flood) {
                HttpResponse<String> r = f.get(2, TimeUnit.MINUTES);
                assertThat(r.statusCode()).as(r.body()).isIn(200, 429);
                refused += r.statusCode() == 429 ? 1 : 0;
            }
            assertThat(refused).as("the flood was refused in part").isPositive();
            assertThat(probes).isGreaterThanOrEqualTo(PROBES.size());
        }
    }
}
