package dev.peregrine.server.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request's trace while tracing (or only the access log) is on. The layers' reports are kept as
 * plain records (a worker only appends one) and become child spans in {@link #end}, on the event loop,
 * with the timestamps the layers took: so the spans cost the workers nothing but the append.
 */
final class SpanTrace implements RequestTrace {

    /** The access log's own logger, so that it can be routed or silenced on its own. */
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.peregrine.server.access");

    private final Tracing tracing;
    private final Span span;
    private final String method;
    private final long startNanos;
    private final long startEpochNanos;
    private final boolean accessLog;
    private final boolean recording;
    /** Guarded by this. */
    private final List<Child> children = new ArrayList<>(6);
    private boolean ended;
    private int texts = -1;

    SpanTrace(Tracing tracing, Span span, String method, long startNanos, long startEpochNanos, boolean accessLog) {
        this.tracing = tracing;
        this.span = span;
        this.method = method;
        this.startNanos = startNanos;
        this.startEpochNanos = startEpochNanos;
        this.accessLog = accessLog;
        this.recording = span.isRecording();
    }

    private record Child(String name, long startNanos, long endNanos, Attributes attributes) {
    }

    @Override
    public boolean recording() {
        return recording;
    }

    @Override
    public synchronized void texts(int count) {
        if (texts < 0) {
            texts = count;
        }
    }

    private synchronized void add(String name, long start, long end, Attributes attributes) {
        if (!ended && recording) {
            children.add(new Child(name, start, Math.max(start, end), attributes));
        }
    }

    @Override
    public void tokenized(String model, long start, long end, int count, long tokens) {
        if (recording) {
            add("tokenize", start, end, Attributes.of(HttpAttributes.MODEL, model, HttpAttributes.TEXTS, (long) count,
                    HttpAttributes.TOKENS, tokens));
        }
    }

    @Override
    public void cacheLookup(String model, long start, long end, int hits, int misses) {
        if (recording) {
            add("cache lookup", start, end, Attributes.of(HttpAttributes.MODEL, model, HttpAttributes.CACHE_HIT, misses == 0,
                    HttpAttributes.CACHE_HITS, (long) hits, HttpAttributes.CACHE_MISSES, (long) misses));
        }
    }

    @Override
    public void queued(String model, long start, long end) {
        if (recording) {
            add("queue", start, end, Attributes.of(HttpAttributes.MODEL, model));
        }
    }

    @Override
    public void pass(long batchId, int size, int longest, int ownTexts, long start, long end) {
        if (recording) {
            add("inference", start, end, Attributes.builder()
                    .put(HttpAttributes.BATCH_ID, batchId)
                    .put(HttpAttributes.BATCH_SIZE, size)
                    .put(HttpAttributes.BATCH_PADDED_LENGTH, longest)
                    .put(HttpAttributes.BATCH_PADDED_TOKENS, (long) size * longest)
                    .put(HttpAttributes.BATCH_OWN_TEXTS, ownTexts)
                    .build());
        }
    }

    @Override
    public void serialized(long start, long end) {
        if (recording) {
            add("serialize", start, end, Attributes.empty());
        }
    }

    @Override
    public Scope activate() {
        io.opentelemetry.context.Scope scope = Context.root().with(span).makeCurrent();
        return scope::close;
    }

    @Override
    public String traceResponse() {
        SpanContext c = span.getSpanContext();
        return c.isValid() ? "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex() : null;
    }

    @Override
    public void end(int status, String route, String model, String errorType) {
        long endNanos = System.nanoTime();
        List<Child> done;
        int count;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            done = List.copyOf(children);
            count = texts;
        }
        boolean matched = route != null && !route.equals("unmatched") && !route.equals("invalid");
        if (recording) {
            if (matched) {
                span.updateName(method + " " + route);
                span.setAttribute(HttpAttributes.ROUTE, route);
            }
            if (status > 0) {
                span.setAttribute(HttpAttributes.RESPONSE_STATUS, (long) status);
            }
            if (model != null && !model.isEmpty()) {
                span.setAttribute(HttpAttributes.MODEL, model);
            }
            if (count >= 0) {
                span.setAttribute(HttpAttributes.TEXTS, (long) count);
            }
            if (errorType != null) {
                span.setAttribute(HttpAttributes.API_ERROR, errorType);
            }
            if (status >= 500) {
                // Server spans mark only the server's own failures as errors (4xx are the client's).
                span.setAttribute(HttpAttributes.ERROR_TYPE, Integer.toString(status));
                span.setStatus(StatusCode.ERROR);
            }
            Context parent = Context.root().with(span);
            for (Child c : done) {
                tracing.tracer().spanBuilder(c.name)
                        .setParent(parent)
                        .setSpanKind(SpanKind.INTERNAL)
                        .setStartTimestamp(epoch(c.startNanos), TimeUnit.NANOSECONDS)
                        .setAllAttributes(c.attributes)
                        .startSpan()
                        .end(epoch(c.endNanos), TimeUnit.NANOSECONDS);
            }
        }
        if (accessLog) {
            try (Scope ignored = activate()) {
                ACCESS.atInfo()
                        .addKeyValue("method", method)
                        .addKeyValue("route", route)
                        .addKeyValue("status", status)
                        .addKeyValue("model", model == null ? "" : model)
                        .addKeyValue("texts", Math.max(0, count))
                        .addKeyValue("duration_ms", Math.round((endNanos - startNanos) / 1e3) / 1e3)
                        .log("{} {} {} {} ms", method, route, status,
                                String.format(Locale.ROOT, "%.3f", (endNanos - startNanos) / 1e6));
            }
        }
        if (recording) {
            span.end(epoch(endNanos), TimeUnit.NANOSECONDS);
        }
    }

    private long epoch(long nanos) {
        return startEpochNanos + (nanos - startNanos);
    }
}
