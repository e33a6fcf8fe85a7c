package dev.peregrine.server.http;

import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.server.inference.Cancellation;
import dev.peregrine.server.inference.RequestResolver;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.tracing.RequestTrace;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/** Per-request facts of the edge: what resolution needs, and what metrics and headers need. Confined to one request. */
final class RequestScope {

    final RoutingContext ctx;
    final long startNanos;
    final String route;
    /** When the answer is due ({@link System#nanoTime()} scale): the one deadline the layers below honour. */
    final long deadlineNanos;
    /** The request's trace ({@link RequestTrace#NOOP} when tracing is off). */
    final RequestTrace trace;
    /** The request's one cancellation: the timeout timer and a client gone fire it. */
    final Cancellation cancellation = new Cancellation();
    private final RequestResolver resolver;
    private volatile String model = "";
    private volatile boolean started;

    RequestScope(RoutingContext ctx, long startNanos, String route, long deadlineNanos, RequestTrace trace,
                 RequestResolver resolver) {
        this.ctx = ctx;
        this.trace = trace;
        this.startNanos = startNanos;
        this.route = route;
        this.deadlineNanos = deadlineNanos;
        this.resolver = resolver;
    }

    /**
     * The request, resolved: the model, its texts and options as given (null: the default), with the
     * edge's cache choice, deadline, cancellation and trace. Records the model for metrics.
     */
    ResolvedRequest request(ServedModel served, List<String> texts, LongTextMode longText, Boolean normalize) {
        model(served.name());
        return resolver.resolve(served, texts, longText, normalize, cacheAllowed(), deadlineNanos, cancellation, trace);
    }

    /** Whether to truncate the request's texts, when it says {@code requested} (null: the server's default). */
    boolean truncate(Boolean requested) {
        return resolver.truncate(requested);
    }

    /**
     * Whether the request lets the prediction cache answer it: not when it sends
     * {@code Cache-Control: no-cache} or {@code no-store}.
     */
    boolean cacheAllowed() {
        String header = ctx.request().getHeader("Cache-Control");
        if (header == null) {
            return true;
        }
        String h = header.toLowerCase(Locale.ROOT);
        return !(h.contains("no-cache") || h.contains("no-store"));
    }

    /** The path parameter {@code name}, if the route has one. */
    String pathParam(String name) {
        return ctx.pathParam(name);
    }

    void model(String name) {
        this.model = name == null ? "" : name;
    }

    String model() {
        return model;
    }

    /** The work has been handed to the service stack (which answers a cancellation from now on). */
    void started() {
        started = true;
    }

    /**
     * The deadline has passed: cancels the request with a timeout (its answer, a 504, follows from the
     * work's failure).
     *
     * @return false when no work was started, so the caller must answer the 504 itself
     */
    boolean expire() {
        cancellation.cancel(new TimeoutException("the request timeout passed"));
        return started;
    }

    /** Whether the request was called off (work not started yet need not start). */
    boolean cancelled() {
        return cancellation.isCancelled();
    }

    /** The connection closed before the answer was sent. */
    void clientGone() {
        cancellation.cancel(new CancellationException("the client closed its connection"));
    }

    double elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
