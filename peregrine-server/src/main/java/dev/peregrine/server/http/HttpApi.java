package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.inference.InferenceResult;
import dev.peregrine.server.inference.InferenceStack;
import dev.peregrine.server.inference.ModelReadiness;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import dev.peregrine.server.inference.Timings;
import dev.peregrine.server.metrics.ServerMetrics;
import dev.peregrine.server.startup.StartupReport;
import dev.peregrine.server.tracing.RequestTrace;
import dev.peregrine.server.tracing.Tracing;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface: connections, routes, the request pipeline, probes, draining and the error responses.
 *
 * <h2>The pipeline of an inference request</h2>
 * <ol>
 *   <li>On the event loop, per connection ({@link ConnectionGuard}): the request's headers must arrive
 *       within {@code header-timeout} of its first byte and its body within {@code body-timeout} of the
 *       headers, else 408 and the connection closes. Headers too large (431), a request line too long
 *       (414) or malformed (400) are answered here in the JSON error shape.</li>
 *   <li>On the event loop: check the API key, read the body up to {@code max-body-bytes} (413 beyond).
 *       Only then, with the whole body received, count the request against
 *       {@code max-concurrent-requests} (429 at once beyond): a slow sender never holds a slot.</li>
 *   <li>On the request pool: inflate a gzip body (no further than {@code max-body-bytes}; other
 *       encodings were refused with 415 on the event loop), parse the JSON strictly (one value, no
 *       duplicate keys) and validate it for its wire format ({@link WireFormat}: the pure step the
 *       fuzz test drives), then start the work through the {@link InferenceService} (which admits or
 *       refuses it at once, then tokenizes and batches).</li>
 *   <li>When the work completes (on the request pool), render the JSON; then write it on the
 *       request's event loop with the timing headers.</li>
 * </ol>
 * A request not answered within {@code request-timeout} of its arrival gets 504, from a
 * timer on its event loop (so on time even when the request pool is busy); the same deadline travels
 * with the work, which is dropped wherever it is when the deadline passes. A client that goes away
 * cancels its work (counted in {@code peregrine_client_disconnects_total}, logged at DEBUG). Either
 * way its texts not yet run leave the queue. Every failure is turned into a status and error type by
 * {@link ErrorMapping}, and into one JSON shape here.
 *
 * <h2>Operational routes</h2>
 * Probes ({@code /livez}, {@code /readyz}, {@code /startupz}, {@code /health}, {@code /v2/health/*})
 * and {@code /metrics} are answered on the event loop, never counted against
 * {@code max-concurrent-requests}, never queued, and need no API key.
 *
 * <h2>Draining</h2>
 * From {@link #drain()} on, readiness fails and every response carries {@code Connection: close}
 * (the connection closes once it is written), so keep-alive clients do not send another request
 * to a server that is going away. {@link #abandonOpenRequests()} answers what is still open with
 * 503 and {@code Retry-After}.
 */
public final class HttpApi {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    /**
     * While few requests are in progress, an uncompressed inference body of at most this many bytes
     * is handled on the event loop up to the batcher (parsing a few kilobytes of JSON and tokenizing
     * their texts takes less than handing the request to the request pool and back); larger ones go
     * to the pool, which parses and tokenizes them in bounded steps.
     */
    static final int INLINE_BODY_BYTES = 4_096;
    /**
     * Requests in progress (this one included) up to which a small body is handled on the event loop:
     * one per core. Beyond it the hand-off is a small share of a request's time, and the event loop
     * must stay free for the probes and for accepting: in a flood of 10x the capacity, handling every
     * small body on the event loop made the slowest probe 331 ms, against 38 ms through the pool.
     */
    static final int INLINE_MAX_IN_FLIGHT = Runtime.getRuntime().availableProcessors();

    /** Routes that answer without the API key (probes and scrapers). */
    private static final Set<String> PUBLIC = Set.of("/livez", "/readyz", "/startupz", "/health",
            "/v2/health/live", "/v2/health/ready", "/metrics");

    private final Vertx vertx;
    private final InferenceStack stack;
    private final ServeConfig config;
    private final ServerMetrics metrics;
    private final Executor pool;
    private final String version;
    private final byte[] apiKey;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final InferenceRoutes inference;
    private final KServeRoutes kserve;
    private final OpenAiRoutes openAi;
    private final SeedsRoutes seeds;
    private final TeiRoutes tei;
    private final DebugRoutes debug;
    private final ConnectionGuard guard;
    private final Tracing tracing;
    /**
     * Requests whose response has not ended, by connection (HTTP/1.1: one at a time on each): what
     * {@link #abandonOpenRequests()} answers.
     */
    private final Map<HttpConnection, RoutingContext> open = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile StartupReport startupReport;
    private volatile boolean draining;
    /** The event-loop context the API's own tasks run on (set by {@link #attach}). */
    private Context context;

    /**
     * @param stack the models, request resolution, service layers, readiness and drift view
     * @param pool    the request pool (parsing, resolution, rendering; never the event loop)
     * @param tracing a span per request (and the access log), or {@link Tracing#disabled()}
     */
    public HttpApi(Vertx vertx, InferenceStack stack, ServeConfig config, ServerMetrics metrics, Executor pool,
                   String version, Tracing tracing) {
        this.vertx = vertx;
        this.tracing = tracing;
        this.stack = stack;
        this.config = config;
        this.metrics = metrics;
        this.pool = pool;
        this.version = version;
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
        ServedModels models = stack.models();
        TeiOptions embedding = new TeiOptions(config.embeddings(), models.all());
        this.inference = new InferenceRoutes(models, config.maxInputs(), embedding);
        this.tei = new TeiRoutes(models, config.maxInputs(), embedding);
        this.kserve = new KServeRoutes(models, config.maxInputs(), version);
        this.openAi = new OpenAiRoutes(models, config.maxInputs(), System.currentTimeMillis() / 1000, embedding);
        this.seeds = config.classifyFormat() == ServeConfig.ClassifyFormat.SEEDS
                ? new SeedsRoutes(models, config.maxInputs()) : null;
        this.debug = new DebugRoutes(vertx, metrics.registry());
        this.guard = new ConnectionGuard(config.headerTimeout(), config.bodyTimeout(), config.idleTimeout(),
                System::nanoTime, this::bodyTimedOut, metrics);
        metrics.inFlight(open::size);
    }

    /** The start-up report {@code /info} shows; set once, before {@link #attach}. */
    public void startupReport(StartupReport report) {
        this.startupReport = report;
    }

    /** Inference requests admitted (body received) and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Requests of any route, from their headers until their response has been written. */
    public int openRequests() {
        return open.size();
    }

    /** HTTP connections open now, idle keep-alive ones included. */
    public int openConnections() {
        return guard.open();
    }

    /** Every model has been loaded and warmed up: {@code /startupz} and readiness turn 200. */
    public void started() {
        started = true;
    }

    /** Ready for traffic: started, not draining, and the service accepts work. */
    public boolean ready() {
        return started && !draining && stack.ready().getAsBoolean();
    }

    /**
     * Starts draining: readiness fails at once, and every response from now on carries
     * {@code Connection: close} and closes its connection. Requests keep being served.
     */
    public void drain() {
        draining = true;
    }

    /**
     * Answers every request still open with 503 and {@code Retry-After}, and cancels its work: what a
     * drain could not finish in time gets a clear answer rather than a closed connection.
     *
     * @return completed once the answers are written (on the event loop)
     */
    public Future<Void> abandonOpenRequests() {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            List<Future<Void>> writes = new ArrayList<>();
            for (RoutingContext ctx : List.copyOf(open.values())) {
                RequestScope scope = ctx.get("scope");
                if (scope != null) {
                    scope.clientGone();
                }
                writes.add(sendError(ctx, new ApiException(ApiError.UNHEALTHY,
                        "the server is shutting down and could not finish this request in time; retry")));
            }
            Future.join(writes).onComplete(ar -> done.complete());
        });
        return done.future();
    }

    /** Serves this API on {@code server}: its connections, requests and malformed requests. */
    public void attach(HttpServer server) {
        Router router = router();
        context = vertx.getOrCreateContext();
        context.runOnContext(v -> guard.start(vertx));
        server.connectionHandler(guard::opened)
                .invalidRequestHandler(this::invalidRequest)
                .requestHandler(request -> {
                    guard.requestStarted(request);
                    router.handle(request);
                });
    }

    /** Builds the router with every route. */
    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::prepare);

        inferenceRoute(router, "/classify", seeds != null ? seeds::classify : inference::classify);
        inferenceRoute(router, "/embed", inference::embed);
        inferenceRoute(router, "/predict", inference::predict);
        inferenceRoute(router, "/v1/embeddings", openAi::embeddings);
        inferenceRoute(router, "/tokenize", tei::tokenize);
        inferenceRoute(router, "/decode", tei::decode);
        inferenceRoute(router, "/embed_all", tei::embedAll);
        inferenceRoute(router, "/similarity", tei::similarity);
        router.get("/v1/models").handler(ctx -> {
            label(ctx, "/v1/models");
            send(ctx, 200, openAi.list());
        });
        router.get("/v1/models/:id").handler(ctx -> {
            label(ctx, "/v1/models/{id}");
            try {
                send(ctx, 200, openAi.retrieve(ctx.pathParam("id")));
            } catch (ApiException e) {
                sendError(ctx, e);
            }
        });
        inferenceRoute(router, "/v2/models/:name/infer", kserve::infer);

        router.get("/livez").handler(ctx -> {
            label(ctx, "/livez");
            send(ctx, 200, STATUS_OK);
        });
        router.get("/readyz").handler(ctx -> readiness(ctx, "/readyz"));
        router.get("/health").handler(ctx -> readiness(ctx, "/health"));
        router.get("/startupz").handler(ctx -> {
            label(ctx, "/startupz");
            if (started) {
                send(ctx, 200, STATUS_OK);
            } else {
                sendError(ctx, new ApiException(ApiError.UNHEALTHY, "starting: warming up the models"));
            }
        });
        router.get("/info").handler(ctx -> {
            label(ctx, "/info");
            send(ctx, 200, info());
        });
        router.get("/metrics").handler(ctx -> {
            label(ctx, "/metrics");
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ServerMetrics.contentType());
            end(ctx, 200, Buffer.buffer(metrics.scrape()));
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
            if (!stack.drift().enabled()) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND, "drift monitoring is off (serve with --drift)"));
            } else {
                send(ctx, 200, DriftJson.all(stack.drift().reports()));
            }
        });
        router.get("/drift/:name").handler(ctx -> {
            label(ctx, "/drift/{name}");
            String name = stack.models().find(ctx.pathParam("name")).map(ServedModel::name).orElse(ctx.pathParam("name"));
            if (!stack.drift().enabled()) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND, "drift monitoring is off (serve with --drift)"));
                return;
            }
            stack.drift().report(name).ifPresentOrElse(r -> {
                model(ctx, name);
                send(ctx, 200, DriftJson.one(r));
            }, () -> sendError(ctx, new ApiException(ApiError.NOT_FOUND, "no model named '" + Echo.of(name)
                    + "' is served")));
        });
        router.get("/v2").handler(ctx -> {
            label(ctx, "/v2");
            send(ctx, 200, kserve.serverMetadata());
        });
        router.get("/v2/health/live").handler(ctx -> {
            label(ctx, "/v2/health/live");
            end(ctx, 200, EMPTY);
        });
        router.get("/v2/health/ready").handler(ctx -> {
            label(ctx, "/v2/health/ready");
            end(ctx, ready() ? 200 : ApiError.UNHEALTHY.status(), EMPTY);
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
                String name = kserve.model(ctx.pathParam("name")).name();
                model(ctx, name);
                // This model's readiness: another still loading in the background does not make it unready.
                ModelReadiness.ModelState state = stack.models().state(name);
                boolean ready = state == null ? ready()
                        : started && !draining && state.state() == ModelReadiness.State.READY;
                end(ctx, ready ? 200 : ApiError.UNHEALTHY.status(), EMPTY);
            } catch (RuntimeException e) {
                sendError(ctx, ErrorMapping.of(e));
            }
        });

        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> sendError(ctx, new ApiException(ApiError.NOT_FOUND,
                "no route " + ctx.request().method() + " " + Echo.of(ctx.request().path()))));
        router.errorHandler(405, ctx -> sendError(ctx, new ApiException(ApiError.METHOD_NOT_ALLOWED,
                "method " + ctx.request().method() + " is not allowed on " + Echo.of(ctx.request().path()))));
        router.errorHandler(413, ctx -> sendError(ctx, new ApiException(ApiError.PAYLOAD_TOO_LARGE,
                "the body is larger than the limit of " + config.maxBodyBytes() + " bytes")));
        router.errorHandler(500, ctx -> failure(ctx));
        return router;
    }

    private static final Buffer STATUS_OK = JsonOutput.write(g -> {
        g.writeStartObject();
        g.writeStringField("status", "ok");
        g.writeEndObject();
    });
    private static final Buffer EMPTY = Buffer.buffer();

    /**
     * {@code /readyz}: every configured model ready; {@code /readyz?model=NAME}: that one (404 for a
     * model not configured), so a model still loading in the background does not hide the others.
     */
    private void readiness(RoutingContext ctx, String route) {
        label(ctx, route);
        ModelReadiness models = stack.models();
        String one = ctx.request().getParam("model");
        if (one != null) {
            ModelReadiness.ModelState state = models.state(one);
            if (state == null) {
                sendError(ctx, new ApiException(ApiError.NOT_FOUND, "no model named '" + Echo.of(one) + "' is served"));
            } else if (started && !draining && state.state() == ModelReadiness.State.READY) {
                send(ctx, 200, STATUS_OK);
            } else {
                sendError(ctx, new ApiException(ApiError.UNHEALTHY, notReady(models)));
            }
            return;
        }
        if (ready()) {
            send(ctx, 200, STATUS_OK);
        } else {
            sendError(ctx, new ApiException(ApiError.UNHEALTHY, notReady(models)));
        }
    }

    private String notReady(ModelReadiness models) {
        if (draining) {
            return "not ready: shutting down";
        }
        if (!started) {
            return "not ready: warming up the models";
        }
        List<String> waiting = new ArrayList<>();
        for (ModelReadiness.ModelState s : models.states()) {
            if (s.state() != ModelReadiness.State.READY) {
                waiting.add("'" + s.name() + "' " + (s.state() == ModelReadiness.State.LOADING ? "loading"
                        : "failed to load: " + s.detail()));
            }
        }
        if (!waiting.isEmpty()) {
            return "not ready: " + String.join("; ", waiting);
        }
        return stack.ready().getAsBoolean() ? "not ready" : "not ready: shutting down";
    }

    /** First handler of every request: bookkeeping, the metrics hook, {@code Connection: close} when draining, the API key. */
    private void prepare(RoutingContext ctx) {
        long start = System.nanoTime();
        HttpServerRequest request = ctx.request();
        HttpConnection connection = request.connection();
        ctx.put("start", start);
        ctx.put("route", "unmatched");
        ctx.put("model", "");
        open.put(connection, ctx);
        RequestTrace trace = tracing.request(request, start);
        if (trace != RequestTrace.NOOP) {
            ctx.put("trace", trace);
        }
        ctx.addHeadersEndHandler(v -> {
            if (draining || Boolean.TRUE.equals(ctx.get("close"))) {
                ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            }
            String traceResponse = trace.traceResponse();
            if (traceResponse != null) {
                ctx.response().putHeader("traceresponse", traceResponse);
            }
        });
        ctx.addEndHandler(done -> {
            open.remove(connection, ctx);
            guard.responseEnded(connection);
            if (Boolean.TRUE.equals(ctx.get("admitted"))) {
                inFlight.decrementAndGet();
            }
            String route = ctx.get("route");
            if (done.failed() && !ctx.response().ended()) {
                trace.end(0, route, ctx.get("model"), "client_closed");
                clientGone(ctx);
                return;
            }
            trace.end(ctx.response().getStatusCode(), route, ctx.get("model"), ctx.get("err"));
            metrics.request(route, ctx.get("model"), ctx.response().getStatusCode(), ctx.get("err"),
                    System.nanoTime() - start);
        });
        if (apiKey != null && !PUBLIC.contains(request.path()) && !authorized(ctx)) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            sendError(ctx, new ApiException(ApiError.UNAUTHORIZED, "missing or wrong API key (send Authorization: Bearer KEY)"));
            return;
        }
        ctx.next();
    }

    /** The client closed its connection before its answer: not a failure of the server. */
    private void clientGone(RoutingContext ctx) {
        if (ctx.get("gone") != null) {
            return;
        }
        ctx.put("gone", true);
        RequestScope scope = ctx.get("scope");
        if (scope != null) {
            scope.clientGone();
        }
        metrics.clientDisconnect(ctx.get("route"));
        LOG.debug("client {} closed its connection before the answer to {} {}", ctx.request().remoteAddress(),
                ctx.request().method(), ctx.get("route"));
    }

    /** After the whole body has arrived: count the request against {@code max-concurrent-requests}. */
    private void admit(RoutingContext ctx) {
        int now = inFlight.incrementAndGet();
        ctx.put("admitted", true);
        if (now > config.maxConcurrentRequests()) {
            sendError(ctx, new ApiException(ApiError.OVERLOADED, "more than " + config.maxConcurrentRequests()
                    + " requests in progress; retry later"));
            return;
        }
        ctx.next();
    }

    /** The body did not arrive within {@code body-timeout}: 408, then the connection closes. */
    private void bodyTimedOut(HttpServerRequest request) {
        RoutingContext ctx = open.get(request.connection());
        ApiException error = new ApiException(ApiError.REQUEST_TIMEOUT, "the request's body did not arrive within "
                + config.bodyTimeout().toMillis() + " ms");
        if (ctx != null) {
            ctx.put("close", true);
            sendError(ctx, error);
        } else {
            request.response().setStatusCode(error.error().status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
                    .end(JsonOutput.error(error)).onComplete(ar -> request.connection().close());
        }
    }

    /** Headers too large (431), a request line too long (414) or malformed (400): JSON, then close. */
    private void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        ApiException error;
        if (cause instanceof TooLongHttpLineException) {
            error = new ApiException(ApiError.URI_TOO_LONG, "the request line is longer than "
                    + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes");
        } else if (cause instanceof TooLongHttpHeaderException) {
            error = new ApiException(ApiError.HEADERS_TOO_LARGE, "the request headers are larger than "
                    + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes");
        } else {
            error = new ApiException(ApiError.MALFORMED, "malformed HTTP request"
                    + (cause == null || cause.getMessage() == null ? "" : ": " + Echo.of(cause.getMessage())));
        }
        metrics.request("invalid", "", error.error().status(), error.error().type(), 0);
        HttpServerResponse response = request.response();
        response.setStatusCode(error.error().status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
                .end(JsonOutput.error(error)).onComplete(ar -> request.connection().close());
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
        // Labelled on a route of its own: vert.x-web wants a body handler first on its route.
        router.post(path).handler(ctx -> {
            label(ctx, label);
            ctx.next();
        });
        router.post(path)
                .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
                .handler(this::admit)
                .handler(ctx -> {
                    Context context = vertx.getOrCreateContext();
                    // One deadline from the request's arrival (so a client never waits longer than the
                    // timeout), carried down through tokenization and the queue; a timer on this event
                    // loop answers 504 on time whatever the pool is doing.
                    long startNanos = ctx.get("start");
                    long deadline = startNanos + config.requestTimeout().toNanos();
                    RequestScope scope = new RequestScope(ctx, startNanos, label, deadline, trace(ctx), stack.requests());
                    ctx.put("scope", scope);
                    long timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), id -> {
                        if (!scope.expire()) {
                            sendError(ctx, ErrorMapping.of(new TimeoutException()));
                        }
                    });
                    ctx.addEndHandler(done -> vertx.cancelTimer(timer));
                    // The received bytes themselves, not a copy: they are only read, and the request owns them.
                    RequestBody.Bytes body = RequestBody.Bytes.of(ctx.body().buffer());
                    boolean gzip;
                    try {
                        gzip = RequestBody.gzip(ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING));
                    } catch (ApiException e) {
                        sendError(ctx, e);
                        return;
                    }
                    if (!gzip && body.length() <= INLINE_BODY_BYTES && inFlight.get() <= INLINE_MAX_IN_FLIGHT) {
                        // Small, and the server nearly idle: parsed, resolved and (by the service) tokenized
                        // here, on the event loop, in less time than the hand-off to the request pool takes
                        // (see BatchedInferenceService).
                        try (RequestTrace.Scope traced = scope.trace.activate()) {
                            start(ctx, context, scope, route, body, false);
                        }
                        return;
                    }
                    try {
                        pool.execute(() -> {
                            try (RequestTrace.Scope traced = scope.trace.activate()) {
                                start(ctx, context, scope, route, body, gzip);
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        sendError(ctx, new ApiException(ApiError.UNHEALTHY, "the server is shutting down"));
                    }
                });
    }

    /** On the request pool: parse, validate, resolve, send the request down the stack, and arrange its answer. */
    private void start(RoutingContext ctx, Context context, RequestScope scope, InferenceRoute route,
                       RequestBody.Bytes body, boolean gzip) {
        if (scope.cancelled()) {
            return;   // answered 504 while waiting for the pool, or the client has gone
        }
        Pending.Inference pending;
        CompletableFuture<InferenceResult> work;
        try {
            JsonNode json = JsonInput.object(RequestBody.decode(body, gzip, config.maxBodyBytes()));
            Pending started = route.start(json, scope);
            if (started instanceof Pending.Answered answered) {
                context.runOnContext(v -> {
                    model(ctx, scope.model());
                    if (!ctx.response().ended() && !ctx.response().closed()) {
                        timingHeaders(ctx.response(), answered.model(), answered.timings(), answered.tokens(), scope);
                        send(ctx, 200, answered.body());
                    }
                });
                return;
            }
            pending = (Pending.Inference) started;
            work = stack.service().infer(pending.request());
        } catch (RuntimeException e) {
            ApiException error = ErrorMapping.of(e);
            context.runOnContext(v -> {
                model(ctx, scope.model());
                sendError(ctx, error);
            });
            return;
        }
        scope.started();
        work.whenComplete((result, failure) -> {
            try (RequestTrace.Scope traced = scope.trace.activate()) {
                answer(ctx, context, scope, pending, result, failure);
            }
        });
    }

    /** When the work is done (on the thread that completed it): render, then write on the event loop. */
    private void answer(RoutingContext ctx, Context context, RequestScope scope, Pending.Inference pending,
                        InferenceResult result,
                        Throwable failure) {
        Buffer rendered = null;
        ApiException error = null;
        if (failure != null) {
            error = ErrorMapping.of(failure);
        } else {
            try {
                long t0 = scope.trace.recording() ? System.nanoTime() : 0;
                rendered = pending.render().render(result);
                if (t0 != 0) {
                    scope.trace.serialized(t0, System.nanoTime());
                }
            } catch (RuntimeException e) {
                error = ErrorMapping.of(e);
            }
        }
        Buffer out = rendered;
        ApiException err = error;
        context.runOnContext(v -> {
            model(ctx, scope.model());
            if (ctx.response().ended() || ctx.response().closed()) {
                return;
            }
            if (err != null) {
                sendError(ctx, err);
            } else {
                timingHeaders(ctx.response(), result.model().name(), result.timings(), result.promptTokens(), scope);
                if (pending.request().options().longText() == LongTextMode.CHUNK) {
                    ctx.response().putHeader("x-long-text-windows", windows(result));
                }
                send(ctx, 200, out);
            }
        });
    }

    private static void timingHeaders(HttpServerResponse response, String model, Timings t, int tokens,
                                      RequestScope scope) {
        response.putHeader("x-total-time", millis(System.nanoTime() - scope.startNanos));
        response.putHeader("x-tokenization-time", millis(t.tokenizeNanos()));
        response.putHeader("x-queue-time", millis(t.queueNanos()));
        response.putHeader("x-inference-time", millis(t.inferenceNanos()));
        response.putHeader("x-compute-tokens", Integer.toString(tokens));
        response.putHeader("x-model", model);
    }

    /** Windows per text, in request order: "9,1". */
    private static String windows(InferenceResult result) {
        StringBuilder out = new StringBuilder();
        for (TextResult r : result.texts()) {
            out.append(out.length() == 0 ? "" : ",").append(r.windows());
        }
        return out.toString();
    }

    /** Milliseconds with three decimals ("12.345"), without a Formatter: four of these go out with every answer. */
    static String millis(long nanos) {
        long micros = (Math.max(0, nanos) + 500) / 1000;
        long frac = micros % 1000;
        return (micros / 1000) + (frac < 10 ? ".00" : frac < 100 ? ".0" : ".") + frac;
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        if (ctx.response().closed() || isConnectionClosed(ctx.failure())) {
            clientGone(ctx);
            return;
        }
        int code = ctx.statusCode();
        ApiException error;
        if (ctx.failure() != null && !(ctx.failure() instanceof io.vertx.ext.web.handler.HttpException)) {
            error = ErrorMapping.of(ctx.failure());
        } else if (code == 413) {
            error = new ApiException(ApiError.PAYLOAD_TOO_LARGE, "the body is larger than the limit of "
                    + config.maxBodyBytes() + " bytes");
        } else if (code == 404) {
            error = new ApiException(ApiError.NOT_FOUND, "no route " + ctx.request().method() + " "
                    + Echo.of(ctx.request().path()));
        } else if (code == 405) {
            error = new ApiException(ApiError.METHOD_NOT_ALLOWED, "method " + ctx.request().method()
                    + " is not allowed on " + Echo.of(ctx.request().path()));
        } else if (code >= 400 && code < 500) {
            error = new ApiException(ApiError.MALFORMED, "bad request");
        } else {
            error = ErrorMapping.of(ctx.failure() != null ? ctx.failure()
                    : new IllegalStateException("request failed with status " + code));
        }
        sendError(ctx, error);
    }

    private static boolean isConnectionClosed(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.vertx.core.http.HttpClosedException || t instanceof java.nio.channels.ClosedChannelException
                    || (t instanceof io.vertx.core.VertxException && "Connection was closed".equals(t.getMessage()))) {
                return true;
            }
        }
        return false;
    }

    /** The request's trace, {@link RequestTrace#NOOP} when tracing is off. */
    private static RequestTrace trace(RoutingContext ctx) {
        RequestTrace trace = ctx.get("trace");
        return trace == null ? RequestTrace.NOOP : trace;
    }

    private static void label(RoutingContext ctx, String route) {
        ctx.put("route", route);
    }

    private static void model(RoutingContext ctx, String model) {
        ctx.put("model", model == null ? "" : model);
    }

    private Future<Void> send(RoutingContext ctx, int status, Buffer body) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        return end(ctx, status, body);
    }

    /**
     * Every response ends here: when its headers said {@code Connection: close} (while draining, or
     * after a timeout), its connection closes once it is written.
     *
     * <p>What the headers said decides, not {@code draining} read again here: a drain that began
     * between the headers and this line closed a connection whose response had just promised
     * keep-alive, and the client's next request on it got no bytes (a {@code ShutdownTest} flake).
     */
    private Future<Void> end(RoutingContext ctx, int status, Buffer body) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        Future<Void> written = response.setStatusCode(status).end(body);
        HttpConnection connection = ctx.request().connection();
        written.onComplete(ar -> {
            if (HttpHeaders.CLOSE.toString().equalsIgnoreCase(response.headers().get(HttpHeaders.CONNECTION))) {
                connection.close();
            }
        });
        return written;
    }

    private Future<Void> sendError(RoutingContext ctx, ApiException error) {
        ctx.put("err", error.error().type());
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        if (error.error() == ApiError.OVERLOADED || error.error() == ApiError.UNHEALTHY) {
            response.putHeader(HttpHeaders.RETRY_AFTER, "1");
        }
        String path = ctx.request().path();
        if (OpenAiRoutes.owns(path)) {
            // OpenAI's clients read only OpenAI's shape (and its 400 for every invalid request).
            return ctx.request().method() == HttpMethod.HEAD ? end(ctx, OpenAiRoutes.status(error), EMPTY)
                    : send(ctx, OpenAiRoutes.status(error), OpenAiRoutes.error(error));
        }
        if (ctx.request().method() == HttpMethod.HEAD) {
            return end(ctx, error.error().status(), EMPTY);
        }
        if (seeds != null && "/classify".equals(path)) {
            return send(ctx, error.error().status(), SeedsRoutes.error(error));
        }
        return send(ctx, error.error().status(), JsonOutput.error(error));
    }

    private Buffer info() {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("name", "peregrine");
            g.writeStringField("version", version);
            g.writeBooleanField("ready", ready());
            g.writeArrayFieldStart("models");
            for (ServedModel m : stack.models().all()) {
                ModelInfo info = m.info();
                g.writeStartObject();
                g.writeStringField("name", m.name());
                g.writeArrayFieldStart("aliases");
                for (String alias : m.aliases()) {
                    g.writeString(alias);
                }
                g.writeEndArray();
                g.writeStringField("task", info.task().id());
                g.writeStringField("variant", info.variant());
                g.writeNumberField("dimension", info.dimension());
                g.writeNumberField("max_length", info.maxLength());
                if (info.pooling() != null) {
                    g.writeStringField("pooling", info.pooling().id());
                }
                g.writeBooleanField("normalize", info.normalize());
                if (!info.embedding().prompts().isEmpty()) {
                    g.writeObjectFieldStart("prompts");
                    for (Map.Entry<String, String> p : info.embedding().prompts().entrySet()) {
                        g.writeStringField(p.getKey(), p.getValue());
                    }
                    g.writeEndObject();
                }
                if (info.embedding().matryoshka()) {
                    g.writeArrayFieldStart("matryoshka_dimensions");
                    for (int d : info.embedding().matryoshkaDimensions()) {
                        g.writeNumber(d);
                    }
                    g.writeEndArray();
                }
                g.writeArrayFieldStart("labels");
                for (String l : info.labels()) {
                    g.writeString(l);
                }
                g.writeEndArray();
                g.writeNumberField("instances", m.settings().instances());
                g.writeNumberField("threads", m.settings().threads());
                g.writeNumberField("max_batch_size", m.settings().maxBatchSize());
                g.writeNumberField("max_batch_tokens", m.settings().maxBatchTokens());
                g.writeNumberField("pass_overhead_tokens", m.settings().passOverheadTokens());
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
            g.writeObjectFieldStart("model_states");
            for (ModelReadiness.ModelState s : stack.models().states()) {
                g.writeStringField(s.name(), s.state().name().toLowerCase(java.util.Locale.ROOT)
                        + (s.detail().isEmpty() ? "" : ": " + s.detail()));
            }
            g.writeEndObject();
            if (startupReport != null) {
                startupReport.writeFields(g);
            }
            g.writeBooleanField("auto_truncate", config.longText().mode() == LongTextMode.TRUNCATE);
            g.writeObjectFieldStart("long_text");
            g.writeStringField("mode", config.longText().mode().id());
            g.writeNumberField("overlap", config.longText().overlap());
            g.writeNumberField("max_chars", config.longText().maxChars());
            g.writeEndObject();
            g.writeEndObject();
        });
    }
}
