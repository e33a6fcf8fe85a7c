package dev.peregrine.server.http;

import dev.peregrine.server.inference.RequestOptions;
import dev.peregrine.server.tracing.RequestTrace;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/** Per-request facts the pipeline needs for metrics and headers. Confined to one request. */
final class RequestScope {

    final RoutingContext ctx;
    final long startNanos;
    final String route;
    /** When the answer is due ({@link System#nanoTime()} scale): the one deadline the layers below honour. */
    final long deadlineNanos;
    /** The request's trace ({@link RequestTrace#NOOP} when tracing is off). */
    final RequestTrace trace;
    private volatile String model = "";
    private volatile CompletableFuture<?> work;
    private volatile boolean clientGone;
    private volatile boolean expired;

    RequestScope(RoutingContext ctx, long startNanos, String route, long deadlineNanos, RequestTrace trace) {
        this.ctx = ctx;
        this.trace = trace;
        this.startNanos = startNanos;
        this.route = route;
        this.deadlineNanos = deadlineNanos;
    }

    /** The request's options, with its cache choice, deadline and trace. */
    RequestOptions options(Boolean truncate, Boolean normalize) {
        return new RequestOptions(truncate, normalize, cacheAllowed(), deadlineNanos, trace);
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
        String h = header.toLowerCase(java.util.Locale.ROOT);
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

    /** Ties the request's work to its connection: a client that has gone (or goes) cancels it. */
    void attach(CompletableFuture<?> future) {
        work = future;
        if (clientGone) {
            future.cancel(false);
        }
        if (expired) {
            future.completeExceptionally(timeout());
        }
    }

    /**
     * The deadline has passed: fails the work with a timeout (its answer, a 504, follows from that).
     *
     * @return false when no work is attached yet, so the caller must answer the 504 itself
     */
    boolean expire() {
        expired = true;
        CompletableFuture<?> w = work;
        if (w != null) {
            w.completeExceptionally(timeout());
            return true;
        }
        return false;
    }

    /** Whether the deadline has passed (work not started yet need not start). */
    boolean expired() {
        return expired;
    }

    private static TimeoutException timeout() {
        return new TimeoutException("the request timeout passed");
    }

    /** The connection closed before the answer was sent. */
    void clientGone() {
        clientGone = true;
        CompletableFuture<?> w = work;
        if (w != null) {
            w.cancel(false);
        }
    }

    double elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
