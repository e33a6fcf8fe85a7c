package dev.peregrine.server.http;

import io.vertx.ext.web.RoutingContext;

/** Per-request facts the pipeline needs for metrics and headers. Confined to one request. */
final class RequestScope {

    final RoutingContext ctx;
    final long startNanos;
    final String route;
    private volatile String model = "";

    RequestScope(RoutingContext ctx, long startNanos, String route) {
        this.ctx = ctx;
        this.startNanos = startNanos;
        this.route = route;
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

    double elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
