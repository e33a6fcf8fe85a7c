package dev.peregrine.server.tracing;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A real OTLP/HTTP trace receiver on a loopback port, as a collector would be: it accepts
 * {@code POST /v1/traces} with an {@code ExportTraceServiceRequest} in protobuf, decodes it with the
 * OpenTelemetry proto classes, and keeps every span it received.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A span as it arrived, its ids in hex, its attributes and its resource's as plain values. */
    record Received(String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
                    Map<String, Object> attributes, Map<String, Object> resource, long startEpochNanos,
                    long endEpochNanos, int statusCode) {

        Object attribute(String key) {
            return attributes.get(key);
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final ConcurrentLinkedQueue<Received> spans = new ConcurrentLinkedQueue<>();
    private final AtomicInteger exports = new AtomicInteger();

    OtlpReceiver() throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> {
            if (!request.path().equals("/v1/traces") || !"application/x-protobuf".equals(request.getHeader("Content-Type"))) {
                request.response().setStatusCode(404).end();
                return;
            }
            request.body().onSuccess(body -> {
                try {
                    ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(body.getBytes());
                    exports.incrementAndGet();
                    for (ResourceSpans rs : export.getResourceSpansList()) {
                        Map<String, Object> resource = values(rs.getResource().getAttributesList());
                        for (ScopeSpans ss : rs.getScopeSpansList()) {
                            for (Span s : ss.getSpansList()) {
                                spans.add(new Received(hex(s.getTraceId().toByteArray()), hex(s.getSpanId().toByteArray()),
                                        hex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind(),
                                        values(s.getAttributesList()), resource, s.getStartTimeUnixNano(),
                                        s.getEndTimeUnixNano(), s.getStatus().getCodeValue()));
                            }
                        }
                    }
                    request.response().putHeader("Content-Type", "application/x-protobuf")
                            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
                } catch (Exception e) {
                    request.response().setStatusCode(400).end();
                }
            });
        });
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The base URL a server is given ({@code /v1/traces} is added to it). */
    String endpoint() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** Export requests received so far. */
    int exports() {
        return exports.get();
    }

    List<Received> spans() {
        return List.copyOf(spans);
    }

    /** The spans of one trace. */
    List<Received> trace(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    /**
     * Waits (polling, up to {@code timeout}) until the spans of {@code traceId} satisfy {@code done},
     * and returns them (whatever arrived, if they never do: the assertions then say what is missing).
     */
    List<Received> await(String traceId, Predicate<List<Received>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Received> trace = trace(traceId);
            if (done.test(trace) || System.nanoTime() > deadline) {
                return trace;
            }
            Thread.sleep(20);
        }
    }

    private static Map<String, Object> values(List<KeyValue> attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (KeyValue kv : attributes) {
            AnyValue v = kv.getValue();
            Object value = switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> v.getIntValue();
                case BOOL_VALUE -> v.getBoolValue();
                case DOUBLE_VALUE -> v.getDoubleValue();
                default -> v.toString();
            };
            out.put(kv.getKey(), value);
        }
        return out;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
