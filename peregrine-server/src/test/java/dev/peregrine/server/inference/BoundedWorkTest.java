package dev.peregrine.server.inference;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayList;
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

    /** {@code n} different texts (the prediction cache would answer copies of one text once). */
    private static List<String> distinct(int n, String text) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i + " " + text);
        }
        return out;
    }

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
            // Once the queue is empty, so is its estimated work.
            assertThat(client.get("/metrics").body()).contains("peregrine_queue_estimated_seconds{model=\"all-minilm-l6-v2\"} 0.0");
        }
    }

    /**
     * Sends a request over a raw socket and times the answer from the moment the last byte of the
     * body was written (the server's deadline started earlier, with the headers), so the client's
     * own sending time is not counted.
     */
    private static long[] timedPost(int port, String body) throws Exception {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + payload.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            long t0 = System.nanoTime();
            InputStream in = socket.getInputStream();
            byte[] head = new byte[12];
            int read = 0;
            while (read < head.length) {
                int n = in.read(head, read, head.length - read);
                if (n < 0) {
                    throw new AssertionError("connection closed without an answer");
                }
                read += n;
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            int status = Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
            return new long[] {status, millis};
        }
    }

    @Test
    void aThreeHundredMillisecondTimeout_answers504OnTime_evenWhileTheRequestIsStillBeingTokenized() throws Exception {
        try (PeregrineServer server = embedderOnly(Duration.ofMillis(300), 256)) {
            TestClient client = new TestClient(server.port(), null);
            // 256 texts of 16,000 characters: parsing and tokenizing them takes a good part of the
            // timeout, and their 65,536 tokens of inference on one thread far more than all of it.
            // The timeout used to start only once tokenization was done.
            String longText = "tokenizer work for the pool ".repeat(16_000 / 28);
            String victimBody = body(Map.of("inputs", distinct(256, longText), "truncate", true));
            // Once to warm up the paths a big body takes (the answer is a 504 too), then measured.
            assertThat(timedPost(server.port(), victimBody)[0]).isEqualTo(504);
            // The warm-up's pass in progress still counts as queued work: wait for it to end, or
            // admission by estimated work rightly refuses the measured request with 429.
            awaitAnswered(client);
            long[] victim = timedPost(server.port(), victimBody);

            assertThat(victim[0]).as("status").isEqualTo(504);
            assertThat(victim[1]).as("504 after a 300 ms timeout, from the body's last byte").isBetween(50L, 550L);
            // Its texts left the queue: once the pass already running ends, small requests are answered.
            awaitAnswered(client);
        }
    }

    /** Sends a small request until one is answered 200 (at most 30 s): the queue has drained. */
    private static void awaitAnswered(TestClient client) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int status;
        do {
            status = client.post("/embed", body(Map.of("inputs", "after the timeout " + System.nanoTime()))).statusCode();
        } while ((status == 504 || status == 429) && System.nanoTime() < until);
        assertThat(status).isEqualTo(200);
    }

    @Test
    void aRequestTheQueuedWorkCannotServeBeforeItsDeadline_gets429AtOnce_not504Later() throws Exception {
        try (PeregrineServer server = embedderOnly(Duration.ofSeconds(1), 256)) {
            TestClient client = new TestClient(server.port(), null);
            // 256 texts of 256 tokens on one thread: far more than a second of work on any CPU,
            // by the seed estimate before its first pass and by the measured cost after it.
            String longText = "each text here is long enough to fill the model's window ".repeat(30);
            CompletableFuture<HttpResponse<String>> big = client.postAsync("/embed",
                    body(Map.of("inputs", distinct(256, longText), "truncate", true)));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!client.get("/metrics").body().contains("peregrine_admitted_texts{model=\"all-minilm-l6-v2\"} 256.0")) {
                assertThat(System.nanoTime()).as("the big request is admitted").isLessThan(until);
                assertThat(big).isNotDone();
            }

            HttpResponse<String> small = client.post("/embed", body(Map.of("inputs", "three short words")));

            assertThat(small.statusCode()).as(small.body()).isEqualTo(429);
            assertThat(json(small).get("error_type").asText()).isEqualTo("Overloaded");
            assertThat(json(small).get("error").asText()).contains("would not finish");
            assertThat(small.headers().firstValue("retry-after")).isPresent();
            assertThat(big.get(60, TimeUnit.SECONDS).statusCode()).as("the big one itself times out").isEqualTo(504);
        }
    }
}
