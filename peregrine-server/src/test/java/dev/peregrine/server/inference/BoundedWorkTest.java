package dev.peregrine.server.inference;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A request's work is bounded before it is done, and its deadline holds: on real servers over
 * loopback. Time bounds are generous for a loaded 2-core machine, yet far below what the unbounded
 * code took (70 s for the huge text, 0.6-1 s for a 300 ms timeout).
 */
class BoundedWorkTest {

    private static PeregrineServer embedderOnly(Duration timeout, int maxInputs) {
        return PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).requestTimeout(timeout).maxInputs(maxInputs)
                .build(), TestServers.resolver());
    }

    @Test
    void aNineMegabyteText_isAnsweredInSeconds_andAConcurrentSmallRequestIsNotHeldUp() throws Exception {
        try (PeregrineServer server = embedderOnly(Duration.ofSeconds(30), 16)) {
            TestClient client = new TestClient(server.port(), null);
            String huge = "a b ".repeat(9 * 1024 * 1024 / 4);
            long t0 = System.nanoTime();
            CompletableFuture<HttpResponse<String>> refused = client.postAsync("/embed",
                    body(Map.of("inputs", List.of(huge), "truncate", false)));
            CompletableFuture<HttpResponse<String>> small = client.postAsync("/embed",
                    body(Map.of("inputs", "three short words")));
            HttpResponse<String> smallAnswer = small.get(60, TimeUnit.SECONDS);
            long smallMillis = (System.nanoTime() - t0) / 1_000_000;
            HttpResponse<String> refusedAnswer = refused.get(60, TimeUnit.SECONDS);
            long refusedMillis = (System.nanoTime() - t0) / 1_000_000;

            assertThat(smallAnswer.statusCode()).as(smallAnswer.body()).isEqualTo(200);
            assertThat(refusedAnswer.statusCode()).as(refusedAnswer.body()).isEqualTo(422);
            assertThat(json(refusedAnswer).get("error").asText())
                    .contains(huge.length() + " characters").contains("limit of 256 tokens");
            assertThat(refusedMillis).as("the huge text's 422").isLessThan(10_000);
            assertThat(smallMillis).as("the small request beside it").isLessThan(10_000);

            long t1 = System.nanoTime();
            HttpResponse<String> cut = client.post("/embed", body(Map.of("inputs", List.of(huge), "truncate", true)));
            assertThat(cut.statusCode()).as(cut.body()).isEqualTo(200);
            assertThat(json(cut)).hasSize(1);
            assertThat(json(cut).get(0)).hasSize(384);
            assertThat(cut.headers().firstValue("x-compute-tokens")).contains("256");
            assertThat((System.nanoTime() - t1) / 1_000_000).as("the huge text, truncated").isLessThan(10_000);
        }
    }

    @Test
    void aThreeHundredMillisecondTimeout_answers504OnTime_evenWhileTheRequestIsStillBeingTokenized() throws Exception {
        try (PeregrineServer server = embedderOnly(Duration.ofMillis(300), 64)) {
            TestClient client = new TestClient(server.port(), null);
            assertThat(client.post("/embed", body(Map.of("inputs", "warm up the connection"))).statusCode()).isIn(200, 504);
            // 64 texts of 16,000 characters: their tokenization alone takes a good part of the
            // timeout, and their 16,384 tokens of inference on one thread far more than all of it.
            // The timeout used to start only once tokenization was done.
            String longText = "tokenizer work for the pool ".repeat(16_000 / 28);
            String victimBody = body(Map.of("inputs", Collections.nCopies(64, longText), "truncate", true));
            long t0 = System.nanoTime();
            HttpResponse<String> victim = client.post("/embed", victimBody);
            long millis = (System.nanoTime() - t0) / 1_000_000;

            assertThat(victim.statusCode()).as(victim.body()).isEqualTo(504);
            assertThat(json(victim).get("error_type").asText()).isEqualTo("Timeout");
            assertThat(millis).as("504 after a 300 ms timeout").isBetween(250L, 550L);
            // Its texts left the queue: once the pass already running ends, small requests are answered.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int status;
            do {
                status = client.post("/embed", body(Map.of("inputs", "after the timeout"))).statusCode();
            } while (status == 504 && System.nanoTime() < until);
            assertThat(status).isEqualTo(200);
        }
    }
}
