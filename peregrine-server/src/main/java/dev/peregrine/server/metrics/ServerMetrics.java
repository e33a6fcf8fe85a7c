package dev.peregrine.server.metrics;

import dev.peregrine.server.batching.BatchListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The server's metrics, all under the {@code peregrine_} prefix, in Prometheus' text format:
 *
 * <ul>
 *   <li>{@code peregrine_requests_total{route,model,status}}: every answered request</li>
 *   <li>{@code peregrine_request_failures_total{route,model,err}}: failed ones by error type</li>
 *   <li>{@code peregrine_request_duration_seconds{route,model}}: wall time, histogram</li>
 *   <li>{@code peregrine_queue_duration_seconds{model}}, {@code peregrine_tokenization_duration_seconds{model}}:
 *       per request, histograms</li>
 *   <li>{@code peregrine_inference_duration_seconds{model}}, {@code peregrine_batch_size{model}},
 *       {@code peregrine_batch_tokens{model}}: per forward pass, histograms</li>
 *   <li>{@code peregrine_queue_depth{model}}: texts waiting for a pass; {@code peregrine_admitted_texts{model}}:
 *       texts admitted and not yet answered; {@code peregrine_queue_estimated_seconds{model}}: their
 *       estimated work; {@code peregrine_requests_in_flight}</li>
 *   <li>{@code peregrine_model_info{model,task,variant,...}} = 1</li>
 *   <li>{@code peregrine_long_text_windows{model}}: windows per text run with {@code long_text: chunk},
 *       histogram (a text within the model's limit is one window)</li>
 *   <li>{@code peregrine_client_disconnects_total{route}}, {@code peregrine_slow_clients_total{phase}}</li>
 * </ul>
 *
 * Thread-safe.
 */
public final class ServerMetrics {

    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};
    private static final double[] BATCH_SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    private static final double[] WINDOW_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    private static final double[] BATCH_TOKEN_BUCKETS = {64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Meters by label values, so that a request costs map look-ups rather than meter registrations. */
    private final Map<List<Object>, Counter> counters = new ConcurrentHashMap<>();
    private final Map<List<Object>, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> windows = new ConcurrentHashMap<>();

    /** Prometheus text exposition of every metric. */
    /** The registry, for components that publish their own meters (cache, drift monitor). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    /** The content type {@link #scrape()} produces. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    /** Records one answered request. */
    public void request(String route, String model, int status, String errorType, long nanos) {
        counters.computeIfAbsent(List.of("requests", route, model, status), k ->
                Counter.builder("peregrine.requests").description("Requests answered")
                        .tags("route", route, "model", model, "status", Integer.toString(status))
                        .register(registry)).increment();
        if (errorType != null) {
            counters.computeIfAbsent(List.of("failures", route, model, errorType), k ->
                    Counter.builder("peregrine.request.failures").description("Requests that failed, by error type")
                            .tags("route", route, "model", model, "err", errorType)
                            .register(registry)).increment();
        }
        timers.computeIfAbsent(List.of("request", route, model), k ->
                        timer("peregrine.request.duration", "Request wall time", Tags.of("route", route, "model", model)))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void tokenization(String model, long nanos) {
        timers.computeIfAbsent(List.of("tokenization", model), k ->
                        timer("peregrine.tokenization.duration", "Tokenization time per request", Tags.of("model", model)))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void queue(String model, long nanos) {
        timers.computeIfAbsent(List.of("queue", model), k ->
                        timer("peregrine.queue.duration", "Time from submission to the first forward pass, per request",
                                Tags.of("model", model)))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One text of {@code model} ran as {@code count} windows (long_text chunk). */
    public void windows(String model, int count) {
        windows.computeIfAbsent(model, m -> DistributionSummary.builder("peregrine.long.text.windows")
                .description("Windows per text split with long_text chunk (1: the text fit the model)")
                .tags("model", m).serviceLevelObjectives(WINDOW_BUCKETS).register(registry)).record(count);
    }

    /** A batch listener that records passes of {@code model}. */
    public BatchListener batchListener(String model) {
        Timer inference = timer("peregrine.inference.duration", "Forward pass time", Tags.of("model", model));
        DistributionSummary size = DistributionSummary.builder("peregrine.batch.size")
                .description("Texts per forward pass").tags("model", model)
                .serviceLevelObjectives(BATCH_SIZE_BUCKETS).register(registry);
        DistributionSummary tokens = DistributionSummary.builder("peregrine.batch.tokens")
                .description("Padded tokens (texts x longest) per forward pass").tags("model", model)
                .serviceLevelObjectives(BATCH_TOKEN_BUCKETS).register(registry);
        return (texts, paddedTokens, inferenceNanos) -> {
            inference.record(inferenceNanos, TimeUnit.NANOSECONDS);
            size.record(texts);
            tokens.record(paddedTokens);
        };
    }

    /** Registers a model's info and queue gauges. */
    /**
     * The time the model's admitted work would take by the batcher's measured cost per token: what
     * admission compares with each request's deadline, and a better signal to scale on than a count.
     */
    public void queuedWork(String model, java.util.function.LongSupplier estimatedNanos) {
        Gauge.builder("peregrine.queue.estimated.seconds", () -> estimatedNanos.getAsLong() / 1e9)
                .description("Admitted work not yet run, in seconds by the measured cost per token (admission compares it with each request's deadline)")
                .tags("model", model).register(registry);
    }

    public void model(String model, Map<String, String> info, IntSupplier queueDepth, IntSupplier admitted) {
        Tags tags = Tags.of("model", model);
        for (Map.Entry<String, String> e : info.entrySet()) {
            tags = tags.and(e.getKey(), e.getValue());
        }
        Gauge.builder("peregrine.model.info", () -> 1).description("Served models; the value is always 1")
                .tags(tags).register(registry);
        Gauge.builder("peregrine.queue.depth", queueDepth::getAsInt).description("Texts waiting for a forward pass")
                .tags("model", model).register(registry);
        Gauge.builder("peregrine.admitted.texts", admitted::getAsInt)
                .description("Texts admitted and not yet answered (the admission limit applies to this)")
                .tags("model", model).register(registry);
    }

    /**
     * A client that closed its connection before its answer was written ({@code
     * peregrine_client_disconnects_total{route}}); not an error of the server.
     */
    public void clientDisconnect(String route) {
        counters.computeIfAbsent(List.of("disconnects", route), k ->
                Counter.builder("peregrine.client.disconnects")
                        .description("Connections closed by the client before its answer was written")
                        .tags("route", route).register(registry)).increment();
    }

    /** Connections closed because a request's headers or body did not arrive in time ({@code phase}: headers, body). */
    public void slowClient(String phase) {
        counters.computeIfAbsent(List.of("slow", phase), k ->
                Counter.builder("peregrine.slow.clients")
                        .description("Connections closed because headers or body did not arrive within their timeout")
                        .tags("phase", phase).register(registry)).increment();
    }

    /** Registers the gauge of requests in progress. */
    public void inFlight(IntSupplier inFlight) {
        Gauge.builder("peregrine.requests.in.flight", inFlight::getAsInt)
                .description("HTTP requests accepted and not yet answered").register(registry);
    }

    private Timer timer(String name, String description, Tags tags) {
        return Timer.builder(name).description(description).tags(tags)
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    public void close() {
        registry.close();
    }
}
