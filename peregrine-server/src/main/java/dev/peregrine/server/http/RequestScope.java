package dev.peregrine.server.http;

import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;

/** Per-request facts the pipeline needs for metrics and headers. Confined to one request. */
final class RequestScope {

    final RoutingContext ctx;
    final long startNanos;
    final String route;
    private volatile String model = "";
    private volatile CompletableFuture<?> work;
    private volatile boolean clientGone;

    RequestScope(RoutingContext ctx, long startNanos, String route) {
        this.ctx = ctx;
        this.startNanos = startNanos;
        this.route = route;
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
