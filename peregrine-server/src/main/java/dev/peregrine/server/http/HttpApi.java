package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.inference.InferenceService;
import dev.peregrine.server.inference.MonitoringInferenceService;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.Timings;
import dev.peregrine.server.metrics.ServerMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP surface: routes, the request pipeline and the error responses.
 *
 * <h2>The pipeline of an inference request</h2>
 * <ol>
 *   <li>On the event loop: count it against {@code max-concurrent-requests} (429 at once beyond),
 *       check the API key, read the body up to {@code max-body-bytes} (413 beyond).</li>
 *   <li>On the request pool: parse and validate the JSON, and start the work through the
 *       {@link InferenceService} (which admits or refuses it at once, then tokenizes and batches).</li>
 *   <li>When the work completes (on the request pool), render the JSON; then write it on the
 *       request's event loop with the timing headers.</li>
 * </ol>
 * A request not answered within {@code request-timeout} of its arrival gets 504, from a
 * timer on its event loop (so on time even when the request pool is busy); the same deadline travels
 * with the work, which is dropped wherever it is when the deadline passes. A client that goes away
 * cancels its work. Either way its texts not yet run leave the queue. Every failure is turned into a
 * status and error type by {@link ErrorMapping}, and into one JSON shape here.
 */
public final class HttpApi {

    /** Routes that answer without the API key (probes and scrapers). */
    private static final Set<String> PUBLIC = Set.of("/health", "/v2/health/live", "/v2/health/ready", "/metrics");

    private final Vertx vertx;
    private final InferenceService service;
    private final ServeConfig config;
    private final ServerMetrics metrics;
    private final Executor pool;
    private final String version;
    private final byte[] apiKey;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final InferenceRoutes inference;
    private final KServeRoutes kserve;
    private final MonitoringInferenceService monitoring;
    private final DebugRoutes debug;

    /**
     * @param monitoring the drift monitor behind {@code GET /drift}, or null when monitoring is off
     */
    public HttpApi(Vertx vertx, InferenceService service, ServeConfig config, ServerMetrics metrics, Executor pool,
                   String version, MonitoringInferenceService monitoring) {
        this.vertx = vertx;
        this.service = service;
        this.config = config;
        this.metrics = metrics;
        this.pool = pool;
        this.version = version;
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
        this.inference = new InferenceRoutes(service, config.maxInputs());
        this.kserve = new KServeRoutes(service, config.maxInputs(), version);
        this.monitoring = monitoring;
        this.debug = new DebugRoutes(vertx, metrics.registry());
        metrics.inFlight(inFlight::get);
    }

    /** Requests accepted and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Builds the router with every route. */
    public Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::admit);

        inferenceRoute(router, "/classify", inference::classify);
        inferenceRoute(router, "/embed", inference::embed);
        inferenceRoute(router, "/predict", inference::predict);
        inferenceRoute(router, "/v1/embeddings", inference::openAiEmbeddings);
        inferenceRoute(router, "/v2/models/:name/infer", kserve::infer);

        router.get("/health").handler(ctx -> {
            label(ctx, "/health");
            if (service.ready()) {
                send(ctx, 200, JsonOutput.write(g -> {
                    g.writeStartObject();
                    g.writeStringField("status", "ok");
                    g.writeEndObject();
                }));
            } else {
                sendError(ctx, new ApiException(ApiError.UNHEALTHY, "not ready: loading or shutting down"));
            }
        });
        router.get("/info").handler(ctx -> {
            label(ctx, "/info");
            send(ctx, 200, info());
        });
        router.get("/metrics").handler(ctx -> {
            label(ctx, "/metrics");
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ServerMetrics.contentType());
            ctx.response().end(metrics.scrape());
        });
        router.get("/debug/profile").handler(ctx -> {
            label(ctx, "/debug/profile");
            if (apiKey == null) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND,
                        "/debug/profile is only on servers started with --api-key (it reports on their traffic)"));
                return;
            }
            try {
                debug.profile(ctx);
            } catch (ApiException e) {
                sendError(ctx, e);
            }
        });
        router.get("/drift").handler(ctx -> {
            label(ctx, "/drift");
            if (monitoring == null) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND, "drift monitoring is off (serve with --drift)"));
            } else {
                send(ctx, 200, DriftJson.all(monitoring.reports()));
            }
        });
        router.get("/drift/:name").handler(ctx -> {
            label(ctx, "/drift/{name}");
            String name = ctx.pathParam("name");
            if (monitoring == null) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND, "drift monitoring is off (serve with --drift)"));
                return;
            }
            monitoring.report(name).ifPresentOrElse(r -> {
                model(ctx, name);
                send(ctx, 200, DriftJson.one(r));
            }, () -> sendError(ctx, new ApiException(ApiError.NOT_FOUND, "no model named '" + name + "' is served")));
        });
        router.get("/v2").handler(ctx -> {
            label(ctx, "/v2");
            send(ctx, 200, kserve.serverMetadata());
        });
        router.get("/v2/health/live").handler(ctx -> {
            label(ctx, "/v2/health/live");
            ctx.response().setStatusCode(200).end();
        });
        router.get("/v2/health/ready").handler(ctx -> {
            label(ctx, "/v2/health/ready");
            ctx.response().setStatusCode(service.ready() ? 200 : ApiError.UNHEALTHY.status()).end();
        });
        router.get("/v2/models/:name").handler(ctx -> {
            label(ctx, "/v2/models/{name}");
            try {
                ServedModel m = kserve.model(ctx.pathParam("name"));
                model(ctx, m.name());
                send(ctx, 200, kserve.modelMetadata(m));
            } catch (RuntimeException e) {
                sendError(ctx, ErrorMapping.of(e));
            }
        });
        router.get("/v2/models/:name/ready").handler(ctx -> {
            label(ctx, "/v2/models/{name}/ready");
            try {
                model(ctx, kserve.model(ctx.pathParam("name")).name());
                ctx.response().setStatusCode(service.ready() ? 200 : ApiError.UNHEALTHY.status()).end();
            } catch (RuntimeException e) {
                sendError(ctx, ErrorMapping.of(e));
            }
        });

        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> sendError(ctx, new ApiException(ApiError.NOT_FOUND,
                "no route " + ctx.request().method() + " " + ctx.request().path())));
        router.errorHandler(405, ctx -> sendError(ctx, new ApiException(ApiError.METHOD_NOT_ALLOWED,
                "method " + ctx.request().method() + " is not allowed on " + ctx.request().path())));
        router.errorHandler(413, ctx -> sendError(ctx, new ApiException(ApiError.PAYLOAD_TOO_LARGE,
                "the body is larger than the limit of " + config.maxBodyBytes() + " bytes")));
        router.errorHandler(500, ctx -> sendError(ctx, ErrorMapping.of(
                ctx.failure() == null ? new IllegalStateException("unknown failure") : ctx.failure())));
        return router;
    }

    /** First handler of every request: the in-flight limit, the API key and the metrics hook. */
    private void admit(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.put("start", start);
        ctx.put("route", "unmatched");
        ctx.put("model", "");
        int now = inFlight.incrementAndGet();
        ctx.addEndHandler(done -> {
            inFlight.decrementAndGet();
            String err = ctx.get("err");
            metrics.request(ctx.get("route"), ctx.get("model"), ctx.response().getStatusCode(), err,
                    System.nanoTime() - start);
        });
        if (now > config.maxConcurrentRequests()) {
            sendError(ctx, new ApiException(ApiError.OVERLOADED, "more than " + config.maxConcurrentRequests()
                    + " requests in progress; retry later"));
            return;
        }
        if (apiKey != null && !PUBLIC.contains(ctx.request().path()) && !authorized(ctx)) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            sendError(ctx, new ApiException(ApiError.UNAUTHORIZED, "missing or wrong API key (send Authorization: Bearer KEY)"));
            return;
        }
        ctx.next();
    }

    private boolean authorized(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, apiKey);
    }

    private void inferenceRoute(Router router, String path, InferenceRoute route) {
        String label = path.replace(":name", "{name}");
        router.post(path).handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes())).handler(ctx -> {
            label(ctx, label);
            Context context = vertx.getOrCreateContext();
            // One deadline from the request's arrival (so a client never waits longer than the
            // timeout), carried down through tokenization and the queue; a timer on this event
            // loop answers 504 on time whatever the pool is doing.
            long startNanos = ctx.get("start");
            long deadline = startNanos + config.requestTimeout().toNanos();
            RequestScope scope = new RequestScope(ctx, startNanos, label, deadline);
            long timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), id -> {
                if (!scope.expire()) {
                    sendError(ctx, ErrorMapping.of(new TimeoutException()));
                }
            });
            ctx.addEndHandler(done -> vertx.cancelTimer(timer));
            ctx.response().closeHandler(closed -> scope.clientGone());
            byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
            try {
                pool.execute(() -> start(ctx, context, scope, route, body));
            } catch (RejectedExecutionException e) {
                sendError(ctx, new ApiException(ApiError.UNHEALTHY, "the server is shutting down"));
            }
        });
    }

    /** On the request pool: parse, validate, start the work, and arrange its answer. */
    private void start(RoutingContext ctx, Context context, RequestScope scope, InferenceRoute route, byte[] body) {
        if (scope.expired()) {
            return;   // answered 504 while waiting for the pool
        }
        Pending pending;
        try {
            JsonNode json = JsonInput.object(body);
            pending = route.start(json, scope);
        } catch (RuntimeException e) {
            ApiException error = ErrorMapping.of(e);
            context.runOnContext(v -> {
                model(ctx, scope.model());
                sendError(ctx, error);
            });
            return;
        }
        scope.attach(pending.work);
        pending.work.whenComplete((value, failure) -> {
            Reply reply = null;
            ApiException error = null;
            if (failure != null) {
                error = ErrorMapping.of(failure);
            } else {
                try {
                    reply = pending.render(value);
                } catch (RuntimeException e) {
                    error = ErrorMapping.of(e);
                }
            }
            Reply r = reply;
            ApiException err = error;
            context.runOnContext(v -> {
                model(ctx, scope.model());
                if (ctx.response().ended() || ctx.response().closed()) {
                    return;
                }
                if (err != null) {
                    sendError(ctx, err);
                } else {
                    timingHeaders(ctx.response(), r, scope);
                    send(ctx, 200, r.body());
                }
            });
        });
    }

    private static void timingHeaders(HttpServerResponse response, Reply reply, RequestScope scope) {
        Timings t = reply.timings();
        response.putHeader("x-total-time", millis(System.nanoTime() - scope.startNanos));
        response.putHeader("x-tokenization-time", millis(t.tokenizeNanos()));
        response.putHeader("x-queue-time", millis(t.queueNanos()));
        response.putHeader("x-inference-time", millis(t.inferenceNanos()));
        response.putHeader("x-compute-tokens", Integer.toString(reply.tokens()));
        response.putHeader("x-model", reply.model());
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    private void failure(RoutingContext ctx) {
        int code = ctx.statusCode();
        ApiException error;
        if (ctx.failure() != null) {
            error = ErrorMapping.of(ctx.failure());
        } else if (code == 413) {
            error = new ApiException(ApiError.PAYLOAD_TOO_LARGE, "the body is larger than the limit of "
                    + config.maxBodyBytes() + " bytes");
        } else if (code == 404) {
            error = new ApiException(ApiError.NOT_FOUND, "no route " + ctx.request().method() + " " + ctx.request().path());
        } else if (code == 405) {
            error = new ApiException(ApiError.METHOD_NOT_ALLOWED, "method " + ctx.request().method()
                    + " is not allowed on " + ctx.request().path());
        } else if (code == 400) {
            error = new ApiException(ApiError.MALFORMED, "bad request");
        } else {
            error = ErrorMapping.of(new IllegalStateException("request failed with status " + code));
        }
        sendError(ctx, error);
    }

    private static void label(RoutingContext ctx, String route) {
        ctx.put("route", route);
    }

    private static void model(RoutingContext ctx, String model) {
        ctx.put("model", model == null ? "" : model);
    }

    private static void send(RoutingContext ctx, int status, Buffer body) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
    }

    private static void sendError(RoutingContext ctx, ApiException error) {
        ctx.put("err", error.error().type());
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (error.error() == ApiError.OVERLOADED) {
            response.putHeader(HttpHeaders.RETRY_AFTER, "1");
        }
        if (ctx.request().method() == HttpMethod.HEAD) {
            response.setStatusCode(error.error().status()).end();
            return;
        }
        send(ctx, error.error().status(), JsonOutput.error(error));
    }

    private Buffer info() {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("name", "peregrine");
            g.writeStringField("version", version);
            g.writeBooleanField("ready", service.ready());
            g.writeArrayFieldStart("models");
            for (ServedModel m : service.models()) {
                ModelInfo info = m.info();
                g.writeStartObject();
                g.writeStringField("name", m.name());
                g.writeStringField("task", info.task().id());
                g.writeStringField("variant", info.variant());
                g.writeNumberField("dimension", info.dimension());
                g.writeNumberField("max_length", info.maxLength());
                if (info.pooling() != null) {
                    g.writeStringField("pooling", info.pooling().id());
                }
                g.writeBooleanField("normalize", info.normalize());
                g.writeArrayFieldStart("labels");
                for (String l : info.labels()) {
                    g.writeString(l);
                }
                g.writeEndArray();
                g.writeNumberField("instances", m.settings().instances());
                g.writeNumberField("threads", m.settings().threads());
                g.writeNumberField("max_batch_size", m.settings().maxBatchSize());
                g.writeNumberField("max_batch_tokens", m.settings().maxBatchTokens());
                g.writeStringField("graph_optimization", m.settings().graphOptimization().id());
                g.writeStringField("onnx_runtime", info.onnxRuntime());
                g.writeArrayFieldStart("warnings");
                for (String w : info.warnings()) {
                    g.writeString(w);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("cpu", CpuFeatures.detect().summary());
            g.writeNumberField("max_client_batch_size", config.maxInputs());
            g.writeNumberField("max_queued_texts", config.maxQueuedTexts());
            g.writeNumberField("max_queue_delay_ms", config.maxQueueDelay().toMillis());
            g.writeNumberField("max_body_bytes", config.maxBodyBytes());
            g.writeNumberField("max_concurrent_requests", config.maxConcurrentRequests());
            g.writeNumberField("request_timeout_ms", config.requestTimeout().toMillis());
            g.writeBooleanField("auto_truncate", config.autoTruncate());
            g.writeEndObject();
        });
    }
}
