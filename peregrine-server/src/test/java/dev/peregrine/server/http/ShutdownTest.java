package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Engine;
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

/** A graceful stop while requests are in flight: every accepted request gets its full answer. */
class ShutdownTest {

    @Test
    void stopWhileRequestsAreInFlight_answersEveryAcceptedRequest_thenRefusesConnections() throws Exception {
        PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).build(), TestServers.resolver());
        TestClient client = new TestClient(server.port(), null);
        int requests = 24;
        List<List<String>> sent = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            List<String> texts = List.of("request " + i + " first text", "request " + i + " second text",
                    "request " + i + " third text about shutting down");
            sent.add(texts);
            inFlight.add(client.postAsync("/embed", body(Map.of("inputs", texts))));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.inFlightRequests() + done(inFlight) < requests && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(server.inFlightRequests()).as("requests accepted before the stop").isPositive();

        server.stop();

        try (Engine engine = TestServers.directEmbedder()) {
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> r = inFlight.get(i).get(1, TimeUnit.MINUTES);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode vectors = json(r);
                assertThat(vectors).hasSize(3);
                float[] expected = engine.embed(sent.get(i).subList(2, 3), true).get(0);
                for (int k = 0; k < expected.length; k++) {
                    assertThat(vectors.get(2).get(k).floatValue()).isCloseTo(expected[k], within(1e-4f));
                }
            }
        }
        assertThatThrownBy(() -> client.post("/embed", body(Map.of("inputs", "too late"))))
                .isInstanceOf(java.io.UncheckedIOException.class).hasCauseInstanceOf(java.net.ConnectException.class);
    }

    private static int done(List<CompletableFuture<HttpResponse<String>>> futures) {
        return (int) futures.stream().filter(CompletableFuture::isDone).count();
    }
}
