package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.RawHttp;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow-loris clients (issue 10, finding 1): headers or a body trickled a byte at a time hold no
 * admission slot, do not slow anyone else, and are cut with 408 once their phase's timeout is up.
 */
class SlowClientTest {

    private static final int MAX_CONCURRENT = 4;
    // Long enough that the probes below are answered while every slow sender is still connected,
    // even on a loaded machine.
    private static final Duration HEADER_TIMEOUT = Duration.ofMillis(6000);
    private static final Duration BODY_TIMEOUT = Duration.ofMillis(6000);

    private static PeregrineServer server;
    private static TestClient client;

    @BeforeAll
    static void start() {
        server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(TestServers.EMBEDDER, TestServers.EMBEDDER)
                .maxConcurrentRequests(MAX_CONCURRENT)
                .headerTimeout(HEADER_TIMEOUT)
                .bodyTimeout(BODY_TIMEOUT)
                .idleTimeout(Duration.ofMillis(1500))
                .build(), TestServers.resolver());
        client = new TestClient(server.port(), null);
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void moreSlowSendersThanSlots_neitherDelayProbesNorEmbeds_andEachIsCutWith408_andASilentOneClosed() throws Exception {
        List<RawHttp> slowBodies = new ArrayList<>();
        List<RawHttp> slowHeaders = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        RawHttp silent = new RawHttp(server.port());
        try {
            for (int i = 0; i < MAX_CONCURRENT + 2; i++) {
                slowBodies.add(new RawHttp(server.port()).send("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"inputs\": "));
                slowHeaders.add(new RawHttp(server.port()).send("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
            }
            // A byte every 200 ms to every connection: an idle timeout alone would never fire.
            trickle.scheduleAtFixedRate(() -> {
                slowBodies.forEach(s -> s.trySend(" "));
                slowHeaders.forEach(s -> s.trySend("a"));
            }, 200, 200, TimeUnit.MILLISECONDS);

            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                HttpResponse<String> ready = client.get("/readyz");
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("/readyz while slow senders are connected")
                        .isLessThan(Duration.ofSeconds(3));
                t0 = System.nanoTime();
                HttpResponse<String> embed = client.post("/embed", body(Map.of("inputs", "a normal request " + round)));
                assertThat(embed.statusCode()).as(embed.body()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("/embed while slow senders are connected")
                        .isLessThan(Duration.ofSeconds(5));
            }

            for (RawHttp slow : slowBodies) {
                expect408(slow.read(Duration.ofSeconds(15)), "body");
                assertThat(slow.closedByServer(Duration.ofSeconds(10))).isTrue();
            }
            for (RawHttp slow : slowHeaders) {
                expect408(slow.read(Duration.ofSeconds(15)), "headers");
                assertThat(slow.closedByServer(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(silent.read(Duration.ofSeconds(15)).status())
                    .as("a connection that never sent a byte is closed without a response").isZero();
            String metrics = client.get("/metrics").body();
            assertThat(Metrics.value(metrics, "peregrine_slow_clients_total", "phase=body")).isEqualTo(slowBodies.size());
            assertThat(Metrics.value(metrics, "peregrine_slow_clients_total", "phase=headers"))
                    .isEqualTo(slowHeaders.size());
        } finally {
            trickle.shutdownNow();
            silent.close();
            slowBodies.forEach(RawHttp::close);
            slowHeaders.forEach(RawHttp::close);
        }
    }

    @Test
    void anIdleKeepAliveConnection_isClosedAfterTheIdleTimeout() {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            RawHttp.Response live = raw.read(Duration.ofSeconds(10));
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.header("connection")).isNull();
            assertThat(raw.closedByServer(Duration.ofSeconds(10))).as("closed after 1.5 s idle").isTrue();
        }
    }

    private static void expect408(RawHttp.Response r, String phase) throws Exception {
        assertThat(r.status()).as(phase + ": " + r.body()).isEqualTo(408);
        assertThat(r.header("connection")).isEqualToIgnoringCase("close");
        JsonNode json = TestClient.JSON.readTree(r.body());
        assertThat(json.get("error_type").asText()).isEqualTo("RequestTimeout");
        assertThat(json.get("error").asText()).contains(phase.equals("body") ? "body" : "headers");
    }
}
