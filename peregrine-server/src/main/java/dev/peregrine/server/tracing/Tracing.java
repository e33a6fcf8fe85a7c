package dev.peregrine.server.tracing;

import dev.peregrine.server.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's tracing: an OpenTelemetry SDK with a batching OTLP exporter when an endpoint is
 * configured, nothing at all otherwise.
 *
 * <p>One SERVER span per HTTP request, started by {@link #request} when the request's headers
 * arrive, as a child of the caller's span when the request carries a W3C {@code traceparent}; the
 * layers below report their steps to the returned {@link RequestTrace}, which becomes its child spans
 * (tokenize, cache lookup, queue, one {@code inference} span per forward pass that ran any of its
 * texts, serialize). A forward pass serves many requests: each of them gets its own {@code inference}
 * span, all carrying the pass's {@code peregrine.batch.id}, rather than one span linked to many traces,
 * so every trace is whole on its own and a pass's companions are one attribute search away.
 *
 * <p>Disabled ({@link #disabled()}, or a configuration without endpoint): {@link #request} returns
 * {@link RequestTrace#NOOP}, no SDK or exporter exists, and the request path does no tracing work.
 * Thread-safe.
 */
public final class Tracing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    private static final Tracing DISABLED = new Tracing(null, null, false);
    private static final String INSTRUMENTATION = "dev.peregrine.server";
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");
    /** How long closing waits for the last spans to be sent. */
    static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final boolean accessLog;
    private final Clock clock = Clock.getDefault();

    private Tracing(SdkTracerProvider provider, Tracer tracer, boolean accessLog) {
        this.provider = provider;
        this.tracer = tracer;
        this.accessLog = accessLog;
    }

    /** No spans, no exporter, no access log. */
    public static Tracing disabled() {
        return DISABLED;
    }

    /**
     * Tracing as configured: an OTLP http/protobuf exporter (on the JDK's HttpClient) behind a
     * batching processor when an endpoint is set; else only the access log, if asked for.
     */
    public static Tracing start(TracingConfig config, String serviceVersion) {
        if (!config.enabled()) {
            return config.accessLog() ? new Tracing(null, null, true) : DISABLED;
        }
        SpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.tracesUrl().toString())
                .setTimeout(FLUSH_TIMEOUT)
                .build();
        return with(exporter, config, serviceVersion);
    }

    /** Tracing into the given exporter (tests use an in-memory one), batched as in production. */
    public static Tracing with(SpanExporter exporter, TracingConfig config, String serviceVersion) {
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                SERVICE_NAME, config.serviceName(), SERVICE_VERSION, serviceVersion)));
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(resource)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build();
        return new Tracing(provider, provider.get(INSTRUMENTATION), config.accessLog());
    }

    /** Whether spans are made and exported. */
    public boolean enabled() {
        return provider != null;
    }

    /**
     * Starts a request's trace when its headers have arrived.
     *
     * @param startNanos its arrival, on the {@link System#nanoTime()} scale (the span's start)
     */
    public RequestTrace request(HttpServerRequest request, long startNanos) {
        if (provider == null) {
            return accessLog ? new SpanTrace(this, Span.getInvalid(), request.method().name(), startNanos, 0, true)
                    : RequestTrace.NOOP;
        }
        long startEpochNanos = clock.now();
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), request, HEADERS);
        String method = HttpAttributes.method(request.method().name());
        var builder = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(HttpAttributes.REQUEST_METHOD, method)
                .setAttribute(HttpAttributes.URL_PATH, request.path())
                .setAttribute(HttpAttributes.URL_SCHEME, request.isSSL() ? "https" : "http")
                .setAttribute(HttpAttributes.PROTOCOL_VERSION, "1.1");
        HostAndPort authority = request.authority();
        if (authority != null) {
            builder.setAttribute(HttpAttributes.SERVER_ADDRESS, authority.host());
            if (authority.port() > 0) {
                builder.setAttribute(HttpAttributes.SERVER_PORT, (long) authority.port());
            }
        }
        SocketAddress peer = request.remoteAddress();
        if (peer != null && peer.hostAddress() != null) {
            builder.setAttribute(HttpAttributes.CLIENT_ADDRESS, peer.hostAddress());
            builder.setAttribute(HttpAttributes.PEER_ADDRESS, peer.hostAddress());
            builder.setAttribute(HttpAttributes.PEER_PORT, (long) peer.port());
        }
        String agent = request.getHeader("User-Agent");
        if (agent != null) {
            builder.setAttribute(HttpAttributes.USER_AGENT, agent);
        }
        return new SpanTrace(this, builder.startSpan(), method, startNanos, startEpochNanos, accessLog);
    }

    /**
     * Sends the spans ended so far, waiting at most {@link #FLUSH_TIMEOUT} (the exporter otherwise sends
     * them every few seconds).
     *
     * @return whether they were sent
     */
    public boolean flush() {
        return provider == null || provider.forceFlush().join(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).isSuccess();
    }

    Tracer tracer() {
        return tracer;
    }

    /**
     * Sends the spans still buffered and stops the exporter (the server's drain calls it last, so
     * no span of an answered request is lost). Waits at most {@link #FLUSH_TIMEOUT}. Idempotent.
     */
    @Override
    public void close() {
        if (provider == null) {
            return;
        }
        CompletableResultCode done = provider.shutdown().join(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (!done.isSuccess()) {
            LOG.warn("tracing: the last spans could not be sent within {} s", FLUSH_TIMEOUT.toSeconds());
        }
    }

    private static final TextMapGetter<HttpServerRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServerRequest carrier) {
            return List.copyOf(carrier.headers().names());
        }

        @Override
        public String get(HttpServerRequest carrier, String key) {
            return carrier == null ? null : carrier.getHeader(key);
        }
    };
}
