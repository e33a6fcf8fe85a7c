package dev.peregrine.server.tracing;

import static dev.peregrine.server.TestClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import dev.peregrine.server.TracingConfig;
import dev.peregrine.server.tracing.OtlpReceiver.Received;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Spans over real OTLP: a server traced to an {@link OtlpReceiver} on loopback, real requests, and
 * the span trees the receiver decoded.
 */
class TracingServerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static OtlpReceiver receiver;
    private static PeregrineServer server;
    private static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        receiver = new OtlpReceiver();
        server = PeregrineServer.start(TestServers.config()
                .drift(DriftConfig.disabled())
                .cache(CacheConfig.parse("memory", Duration.ofHours(1), 1000, 16L << 20, "t:", Duration.ofMillis(20), Set.of()))
                .tracing(TracingConfig.parse(receiver.endpoint(), "peregrine-test", 1.0, false))
                .build(), TestServers.resolver());
        client = new TestClient(server.port(), null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    /** The trace id the server answered with in {@code traceresponse: 00-TRACE-SPAN-FLAGS}. */
    private static String[] traceResponse(HttpResponse<String> r) {
        String header = r.headers().firstValue("traceresponse").orElseThrow(() -> new AssertionError("no traceresponse"));
        String[] parts = header.split("-");
        assertThat(parts).hasSize(4);
        return parts;
    }

    private static HttpResponse<String> post(String path, String json, String... headers) {
        HttpRequest.Builder b = client.request(path).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = client.send(b.POST(HttpRequest.BodyPublishers.ofString(json)).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    private static List<Received> awaitTrace(String traceId, Predicate<List<Received>> done) throws InterruptedException {
        server.tracing().flush();
        return receiver.await(traceId, done, WAIT);
    }

    private static Predicate<List<Received>> hasAll(String... names) {
        return spans -> spans.stream().map(Received::name).toList().containsAll(List.of(names));
    }

    private static Received one(List<Received> spans, String name) {
        List<Received> found = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(found).as("spans named '%s' in %s", name, spans.stream().map(Received::name).toList()).hasSize(1);
        return found.get(0);
    }

    @Test
    void embed_isOneServerSpan_withTokenizeQueueInferenceAndSerializeChildren() throws Exception {
        HttpResponse<String> r = post("/embed", body(Map.of("inputs", List.of("first text to embed", "a second one"))),
                "Cache-Control", "no-cache", "User-Agent", "tracing-test");
        String[] ids = traceResponse(r);
        List<Received> spans = awaitTrace(ids[1], hasAll("POST /embed", "tokenize", "queue", "inference", "serialize"));

        Received root = one(spans, "POST /embed");
        assertThat(root.spanId()).isEqualTo(ids[2]);
        assertThat(root.parentSpanId()).isEmpty();
        assertThat(root.kind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
        assertThat(root.attributes()).containsEntry("http.request.method", "POST").containsEntry("http.route", "/embed")
                .containsEntry("url.path", "/embed").containsEntry("http.response.status_code", 200L)
                .containsEntry("peregrine.model", TestServers.EMBEDDER).containsEntry("peregrine.texts", 2L)
                .containsEntry("user_agent.original", "tracing-test").containsKey("server.port");
        assertThat(root.resource()).containsEntry("service.name", "peregrine-test");
        assertThat(root.statusCode()).isZero();   // unset: not an error

        for (Received child : spans) {
            if (child != root) {
                assertThat(child.parentSpanId()).as(child.name()).isEqualTo(root.spanId());
                assertThat(child.kind()).isEqualTo(SpanKind.SPAN_KIND_INTERNAL);
                assertThat(child.startEpochNanos()).as(child.name()).isBetween(root.startEpochNanos(), root.endEpochNanos());
                assertThat(child.endEpochNanos()).as(child.name()).isBetween(child.startEpochNanos(), root.endEpochNanos());
            }
        }
        assertThat(spans.stream().map(Received::name)).doesNotContain("cache lookup");   // no-cache: the cache was not asked
        Received tokenize = one(spans, "tokenize");
        assertThat(tokenize.attributes()).containsEntry("peregrine.texts", 2L).containsEntry("peregrine.model", TestServers.EMBEDDER);
        assertThat((Long) tokenize.attribute("peregrine.tokens")).isGreaterThanOrEqualTo(4L);
        Received queue = one(spans, "queue");
        List<Received> passes = spans.stream().filter(s -> s.name().equals("inference")).toList();
        long ownTexts = 0;
        for (Received pass : passes) {
            assertThat((Long) pass.attribute("peregrine.batch.id")).isPositive();
            long size = (Long) pass.attribute("peregrine.batch.size");
            long padded = (Long) pass.attribute("peregrine.batch.padded_length");
            assertThat(size).isBetween(1L, 32L);
            assertThat(padded).isPositive();
            assertThat(pass.attribute("peregrine.batch.padded_tokens")).isEqualTo(size * padded);
            ownTexts += (Long) pass.attribute("peregrine.batch.request_texts");
            assertThat(pass.startEpochNanos()).isGreaterThanOrEqualTo(queue.endEpochNanos());
        }
        assertThat(ownTexts).as("every text of the request ran in one of its passes").isEqualTo(2);
        assertThat(queue.startEpochNanos()).isGreaterThanOrEqualTo(tokenize.endEpochNanos());
        assertThat(one(spans, "serialize").startEpochNanos()).isGreaterThanOrEqualTo(passes.get(0).endEpochNanos());
    }

    @Test
    void classify_withATraceparent_joinsTheCallersTrace_underItsSpan() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String parent = "00f067aa0ba902b7";
        HttpResponse<String> r = post("/classify", body(Map.of("texts", List.of("Why was I charged twice?"))),
                "traceparent", "00-" + traceId + "-" + parent + "-01", "Cache-Control", "no-cache");
        String[] ids = traceResponse(r);
        assertThat(ids[1]).isEqualTo(traceId);
        assertThat(ids[2]).isNotEqualTo(parent);
        assertThat(ids[3]).isEqualTo("01");

        List<Received> spans = awaitTrace(traceId, hasAll("POST /classify", "tokenize", "queue", "inference", "serialize"));
        Received root = one(spans, "POST /classify");
        assertThat(root.parentSpanId()).isEqualTo(parent);
        assertThat(root.spanId()).isEqualTo(ids[2]);
        assertThat(root.attributes()).containsEntry("http.route", "/classify")
                .containsEntry("peregrine.model", TestServers.CLASSIFIER).containsEntry("peregrine.texts", 1L);
        Received pass = one(spans, "inference");
        assertThat(pass.parentSpanId()).isEqualTo(root.spanId());
        assertThat(pass.attributes()).containsKeys("peregrine.batch.id", "peregrine.batch.padded_length")
                .containsEntry("peregrine.batch.request_texts", 1L);
        assertThat((Long) pass.attribute("peregrine.batch.size")).isGreaterThanOrEqualTo(1L);
    }

    @Test
    void aCallerThatDoesNotSample_getsNoSpans_butItsTraceIdBack() throws Exception {
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
        HttpResponse<String> r = post("/classify", body(Map.of("texts", List.of("not sampled"))),
                "traceparent", "00-" + traceId + "-00f067aa0ba902b8-00");
        String[] ids = traceResponse(r);
        assertThat(ids[1]).isEqualTo(traceId);
        assertThat(ids[3]).isEqualTo("00");
        // A sampled request after it: once its spans are in, the unsampled one's would be too.
        String[] later = traceResponse(post("/classify", body(Map.of("texts", List.of("sampled")))));
        awaitTrace(later[1], hasAll("POST /classify"));
        assertThat(receiver.trace(traceId)).isEmpty();
    }

    @Test
    void aRepeatedText_isACacheHit_withoutQueueOrInference() throws Exception {
        String text = "a text asked for twice " + System.nanoTime();
        String[] first = traceResponse(post("/embed", body(Map.of("inputs", text))));
        String[] second = traceResponse(post("/embed", body(Map.of("inputs", text))));

        List<Received> miss = awaitTrace(first[1], hasAll("POST /embed", "cache lookup", "inference"));
        assertThat(one(miss, "cache lookup").attributes()).containsEntry("peregrine.cache.hit", false)
                .containsEntry("peregrine.cache.misses", 1L).containsEntry("peregrine.cache.hits", 0L);
        assertThat(one(miss, "cache lookup").endEpochNanos()).isLessThanOrEqualTo(one(miss, "tokenize").startEpochNanos());

        List<Received> hit = awaitTrace(second[1], hasAll("POST /embed", "cache lookup", "serialize"));
        assertThat(one(hit, "cache lookup").attributes()).containsEntry("peregrine.cache.hit", true)
                .containsEntry("peregrine.cache.hits", 1L).containsEntry("peregrine.cache.misses", 0L);
        assertThat(hit.stream().map(Received::name)).doesNotContain("tokenize", "queue", "inference");
        assertThat(one(hit, "POST /embed").attributes()).containsEntry("peregrine.texts", 1L);
    }

    @Test
    void aClientError_isTraced_withItsStatus_butNotAsAServerError() throws Exception {
        HttpRequest request = client.request("/embed").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": ")).build();
        HttpResponse<String> r = client.send(request);
        assertThat(r.statusCode()).isEqualTo(400);
        String[] ids = traceResponse(r);
        Received root = one(awaitTrace(ids[1], hasAll("POST /embed")), "POST /embed");
        assertThat(root.attributes()).containsEntry("http.response.status_code", 400L)
                .containsKey("peregrine.error_type").doesNotContainKey("error.type");
        assertThat(root.statusCode()).isZero();
    }

    @Test
    void stoppingTheServer_sendsTheSpansItStillHolds() throws Exception {
        try (OtlpReceiver own = new OtlpReceiver()) {
            PeregrineServer traced = PeregrineServer.start(classifierOnly()
                    .tracing(TracingConfig.parse(own.endpoint() + "/v1/traces", "peregrine", 1.0, false)).build(),
                    TestServers.resolver());
            String[] ids;
            try {
                ids = traceResponse(new TestClient(traced.port(), null).post("/classify",
                        body(Map.of("texts", List.of("flushed at stop")))));
            } finally {
                traced.stop();
            }
            // No waiting: stop() returned after the exporter sent what it held.
            assertThat(own.trace(ids[1]).stream().map(Received::name)).contains("POST /classify", "inference");
        }
    }

    @Test
    void withoutAnEndpoint_thereIsNoExporter_andNoTraceHeader() throws Exception {
        PeregrineServer plain = PeregrineServer.start(classifierOnly().build(), TestServers.resolver());
        HttpResponse<String> r;
        try {
            assertThat(plain.tracing()).isSameAs(Tracing.disabled());
            assertThat(plain.tracing().enabled()).isFalse();
            TestClient plainClient = new TestClient(plain.port(), null);
            r = plainClient.send(plainClient.request("/classify").header("Content-Type", "application/json")
                    .header("traceparent", "00-6bf92f3577b34da6a3ce929d0e0e4738-00f067aa0ba902b9-01")
                    .POST(HttpRequest.BodyPublishers.ofString(body(Map.of("texts", List.of("untraced"))))).build());
        } finally {
            plain.stop();
        }
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("traceresponse")).isEmpty();
    }

    private static ServeConfig.Builder classifierOnly() {
        return TestServers.config().models(List.of()).model(TestServers.CLASSIFIER, TestServers.classifierFolder().toString())
                .drift(DriftConfig.disabled()).cache(CacheConfig.off());
    }
}
