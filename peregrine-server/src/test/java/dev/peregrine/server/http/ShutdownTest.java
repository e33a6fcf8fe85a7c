package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop (SIGTERM, issue 10 finding 3): every accepted request gets its full answer or a
 * clear 503, keep-alive clients are told to close, and nothing is left without a response.
 */
class ShutdownTest {

    /** The test servers' settings, serving the embedder alone. */
    private static ServeConfig.Builder embedderOnly() {
        return TestServers.config().models(List.of()).model(TestServers.EMBEDDER, TestServers.EMBEDDER);
    }

    private static PeregrineServer start(ServeConfig.Builder config) {
        return PeregrineServer.start(config.build(), TestServers.resolver());
    }

    @Test
    void stopWhileRequestsAreInFlight_answersEveryAcceptedRequest_thenRefusesConnections() throws Exception {
        PeregrineServer server = start(embedderOnly());
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

    /** What one keep-alive client saw: every response, and whether a sent request went unanswered. */
    private record ClientLog(List<HttpResponse<String>> responses, List<Throwable> unanswered, boolean refused) {
    }

    @Test
    void stopWithKeepAliveClients_leavesNoRequestWithoutAnAnswer_andDrainResponsesCloseTheirConnections()
            throws Exception {
        // A generous idle grace: a client thread of this test was once descheduled for over a second
        // between two requests on a loaded machine; the drain still ends as soon as every client is told.
        PeregrineServer server = start(embedderOnly().drainIdleGrace(Duration.ofSeconds(30)));
        int clients = 12;
        AtomicInteger answered = new AtomicInteger();
        List<CompletableFuture<ClientLog>> logs = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                int id = c;
                logs.add(CompletableFuture.supplyAsync(() -> keepAliveClient(server.port(), id, answered), threads));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (answered.get() < 2 * clients && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            // Readiness fails from the moment the drain begins.
            long t0 = System.nanoTime();
            while (server.ready() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(1);
            }
            assertThat(server.ready()).isFalse();

            int closes = 0;
            int total = 0;
            for (CompletableFuture<ClientLog> f : logs) {
                ClientLog log = f.get(2, TimeUnit.MINUTES);
                assertThat(log.unanswered()).as("requests sent and never answered").isEmpty();
                for (HttpResponse<String> r : log.responses()) {
                    total++;
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
                    if (r.statusCode() == 503) {
                        assertThat(r.headers().firstValue("retry-after")).isPresent();
                        assertThat(json(r).get("error_type").asText()).isEqualTo("Unhealthy");
                    }
                }
                HttpResponse<String> last = log.responses().isEmpty() ? null : log.responses().get(log.responses().size() - 1);
                boolean lastCloses = last != null && last.headers().firstValue("connection").orElse("").equalsIgnoreCase("close");
                assertThat(lastCloses || log.refused()).as("each client was told to close, or could not connect").isTrue();
                closes += lastCloses ? 1 : 0;
            }
            stopping.get(1, TimeUnit.MINUTES);
            assertThat(total).isGreaterThanOrEqualTo(2 * clients);
            assertThat(closes).as("responses written while draining carried Connection: close").isPositive();
        } finally {
            threads.shutdownNow();
            server.stop();
        }
    }

    @Test
    void aKeepAliveClientThatWaitsAfterTheDrainBegan_stillHasItsNextRequestAnswered_andTheStopEndsWhenItCloses()
            throws Exception {
        PeregrineServer server = start(embedderOnly().drainIdleGrace(Duration.ofSeconds(30)));
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            String first = exchange(socket, in, "before the stop");
            assertThat(first).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            long t0 = System.nanoTime();
            while (server.ready() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(1);
            }
            assertThat(server.ready()).isFalse();
            // Longer than the fixed one-second grace this replaced: the connection is still there.
            Thread.sleep(2500);
            assertThat(stopping).as("the stop waits while a kept-alive connection is open").isNotDone();

            String second = exchange(socket, in, "after the stop began");
            assertThat(second).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            assertThat(in.read()).as("the server closes the connection after that answer").isEqualTo(-1);
            // Its only connection is gone: the stop goes on without waiting out the 30 s grace.
            stopping.get(15, TimeUnit.SECONDS);
        } finally {
            server.stop();
        }
    }

    @Test
    void aStopWithNoConnectionOpen_doesNotWaitForTheIdleGrace() throws Exception {
        PeregrineServer server = start(embedderOnly().drainIdleGrace(Duration.ofSeconds(60)));
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
        stopping.get(20, TimeUnit.SECONDS);
        assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", server.port()).close())
                .isInstanceOf(java.net.ConnectException.class);
    }

    /** Sends one keep-alive {@code POST /embed} and reads its whole response (head and body) as text. */
    private static String exchange(java.net.Socket socket, java.io.InputStream in, String text) throws Exception {
        byte[] payload = body(Map.of("inputs", text)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String head = "POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + payload.length + "\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().write(payload);
        socket.getOutputStream().flush();
        StringBuilder response = new StringBuilder();
        while (response.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            assertThat(b).as("the response's head, so far: " + response).isNotEqualTo(-1);
            response.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                .matcher(response);
        assertThat(length.find()).as(response.toString()).isTrue();
        byte[] bodyBytes = in.readNBytes(Integer.parseInt(length.group(1)));
        return response + new String(bodyBytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Back-to-back requests on one keep-alive connection until told to close (or refused), at most 500. */
    private static ClientLog keepAliveClient(int port, int id, AtomicInteger answered) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<HttpResponse<String>> responses = new ArrayList<>();
        List<Throwable> unanswered = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/embed"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body(Map.of("inputs", "client " + id + " request " + i))))
                    .build();
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                responses.add(r);
                answered.incrementAndGet();
                if (r.headers().firstValue("connection").orElse("").equalsIgnoreCase("close")) {
                    // A client in a cluster would now go to another replica.
                    return new ClientLog(responses, unanswered, false);
                }
            } catch (java.net.ConnectException e) {
                return new ClientLog(responses, unanswered, true);
            } catch (java.io.IOException e) {
                unanswered.add(e);
                return new ClientLog(responses, unanswered, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unanswered.add(e);
                return new ClientLog(responses, unanswered, false);
            }
        }
        return new ClientLog(responses, unanswered, false);
    }

    @Test
    void aDrainThatRunsOutOfTime_answersWhatIsLeft503WithRetryAfter_neverSilence() throws Exception {
        PeregrineServer server = start(embedderOnly().maxBatchSize(4).shutdownTimeout(Duration.ofMillis(300)));
        TestClient client = new TestClient(server.port(), null);
        List<String> busy = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            busy.add("a long text to keep the model busy for a while ".repeat(40) + i);
        }
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(client.postAsync("/embed", body(Map.of("inputs", busy, "truncate", true))));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.inFlightRequests() < requests.size() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        server.stop();
        int unavailable = 0;
        for (CompletableFuture<HttpResponse<String>> f : requests) {
            HttpResponse<String> r = f.get(1, TimeUnit.MINUTES);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
            if (r.statusCode() == 503) {
                unavailable++;
                assertThat(r.headers().firstValue("retry-after")).contains("1");
                assertThat(r.headers().firstValue("connection")).hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("close"));
                assertThat(json(r).get("error_type").asText()).isEqualTo("Unhealthy");
                assertThat(json(r).get("error").asText()).contains("shutting down");
            }
        }
        assertThat(unavailable).as("384 long texts cannot all run within 300 ms").isPositive();
    }

    private static int done(List<CompletableFuture<HttpResponse<String>>> futures) {
        return (int) futures.stream().filter(CompletableFuture::isDone).count();
    }
}
