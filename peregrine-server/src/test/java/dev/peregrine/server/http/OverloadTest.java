package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Admission control and timeouts, each on a server of its own with small limits. */
class OverloadTest {

    private static final int QUEUE = 64;
    private static final int PER_REQUEST = 16;

    private static List<String> texts(int n, String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + " " + i + " " + "some words to make the text a little longer than a few tokens ".repeat(3));
        }
        return out;
    }

    @Test
    void aFloodedQueue_answers429AtOnce_withRetryAfter_andAdmitsNoMoreThanItsLimit() throws Exception {
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).maxQueuedTexts(QUEUE).maxInputs(PER_REQUEST).build(),
                TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            int requests = 120;
            List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
            List<Long> started = new ArrayList<>();
            List<Long> finished = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                long t0 = System.nanoTime();
                started.add(t0);
                finished.add(0L);
                int index = i;
                flood.add(client.postAsync("/embed", body(Map.of("inputs", texts(PER_REQUEST, "flood " + i))))
                        .whenComplete((r, e) -> finished.set(index, System.nanoTime())));
            }
            // Sample the admission gauge while the flood is being served.
            double maxAdmitted = 0;
            while (!flood.stream().allMatch(CompletableFuture::isDone)) {
                maxAdmitted = Math.max(maxAdmitted, gauge(client, "peregrine_admitted_texts"));
            }
            int ok = 0;
            int rejected = 0;
            List<Long> okNanos = new ArrayList<>();
            List<Long> rejectedNanos = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> r = flood.get(i).get(2, TimeUnit.MINUTES);
                long took = finished.get(i) - started.get(i);
                if (r.statusCode() == 200) {
                    ok++;
                    okNanos.add(took);
                    assertThat(json(r)).hasSize(PER_REQUEST);
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    assertThat(r.headers().firstValue("retry-after")).contains("1");
                    assertThat(json(r).get("error_type").asText()).isEqualTo("Overloaded");
                    rejected++;
                    rejectedNanos.add(took);
                }
            }
            assertThat(ok).isPositive();
            assertThat(rejected).isPositive();
            assertThat(maxAdmitted).as("texts admitted at once").isLessThanOrEqualTo(QUEUE);
            // A refusal does not wait for the queue: refused requests come back faster than served ones.
            assertThat(median(rejectedNanos)).isLessThan(median(okNanos));

            assertThat(gauge(client, "peregrine_admitted_texts")).isZero();
            assertThat(client.post("/embed", body(Map.of("inputs", "after the flood"))).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aRequestNotAnsweredWithinTheTimeout_gets504() {
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).requestTimeout(Duration.ofMillis(20)).build(),
                TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                slow.add("a long text to keep the model busy for well over twenty milliseconds ".repeat(20) + i);
            }
            HttpResponse<String> r = client.post("/embed", body(Map.of("inputs", slow, "truncate", true)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
            assertThat(json(r).get("error_type").asText()).isEqualTo("Timeout");
        }
    }

    @Test
    void aRequestWhoseClientHasGone_isDroppedFromTheQueue_notRun() throws Exception {
        // A long timeout: on a loaded machine the first request's work may approach the default 30 s,
        // and admission by estimated work would then rightly refuse the second instead of queuing it.
        try (PeregrineServer server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER).maxBatchSize(4).requestTimeout(Duration.ofMinutes(5))
                .build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            // Keep the only worker busy for a long while (16 passes of 4 texts of the full 256 tokens).
            List<String> busy = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                busy.add("a long text to keep the model busy ".repeat(40) + i);
            }
            CompletableFuture<HttpResponse<String>> first = client.postAsync("/embed",
                    body(Map.of("inputs", busy, "truncate", true)));
            // Wait until its first pass has run: its texts are tokenized and queued ahead of anything later.
            while (gauge(client, "peregrine_batch_size_count") < 1) {
                Thread.sleep(1);
            }
            // A second client sends 8 texts and hangs up before they can run.
            String gone = body(Map.of("inputs", texts(8, "gone")));
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
                byte[] payload = gone.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                String head = "POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + payload.length + "\r\n\r\n";
                socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.getOutputStream().write(payload);
                socket.getOutputStream().flush();
                // Tokenized means queued, behind the first request's remaining texts.
                while (gauge(client, "peregrine_tokenization_duration_seconds_count") < 2 && !first.isDone()) {
                    Thread.sleep(1);
                }
                assertThat(first.isDone()).as("the second request was queued while the first still ran").isFalse();
            }
            assertThat(first.get(2, TimeUnit.MINUTES).statusCode()).isEqualTo(200);
            while (gauge(client, "peregrine_admitted_texts") > 0) {
                Thread.sleep(1);
            }
            assertThat(ConcurrencyTest.metric(client.get("/metrics").body(), "peregrine_batch_size_sum"))
                    .as("texts that ran: only the first client's").isEqualTo(busy.size());
            assertThat(client.post("/embed", body(Map.of("inputs", "still serving"))).statusCode()).isEqualTo(200);
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static double gauge(TestClient client, String name) {
        String text = client.get("/metrics").body();
        return ConcurrencyTest.metric(text, name);
    }
}
