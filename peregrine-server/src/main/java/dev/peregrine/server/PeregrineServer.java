package dev.peregrine.server;

import dev.peregrine.cache.PredictionCache;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.monitor.DriftMonitor;
import dev.peregrine.monitor.DriftReference;
import dev.peregrine.monitor.PredictionLog;
import dev.peregrine.server.http.HttpApi;
import dev.peregrine.server.inference.BatchedInferenceService;
import dev.peregrine.server.inference.CachingInferenceService;
import dev.peregrine.server.inference.DriftView;
import dev.peregrine.server.inference.InferenceService;
import dev.peregrine.server.inference.InferenceStack;
import dev.peregrine.server.inference.ModelReadiness;
import dev.peregrine.server.inference.MonitoringInferenceService;
import dev.peregrine.server.inference.RequestResolver;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import dev.peregrine.server.inference.ServiceSettings;
import dev.peregrine.server.metrics.ServerMetrics;
import dev.peregrine.server.startup.StartupReport;
import dev.peregrine.server.tracing.Tracing;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Peregrine HTTP server: every configured model behind a dynamic batcher, on Vert.x.
 *
 * <pre>{@code
 * try (PeregrineServer server = PeregrineServer.start(config, ModelResolver.standard())) {
 *     server.awaitStop();
 * }
 * }</pre>
 *
 * <p>{@link #start} loads every model (each engine runs a warm-up pass as it opens), then listens:
 * the port is closed until the server is ready, and {@code /readyz} answers 503 from the moment
 * {@link #stop()} begins.
 *
 * <p>{@link #stop()} is graceful (see there). The CLI calls it from a JVM shutdown hook, so SIGTERM
 * drains the server. Thread-safe.
 */
public final class PeregrineServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeregrineServer.class);

    /** Time to write the 503s of a drain that ran out of time, before the connections are cut. */
    private static final Duration ABANDON_MARGIN = Duration.ofSeconds(5);

    private final ServeConfig config;
    private final Vertx vertx;
    private final HttpServer http;
    private final HttpApi api;
    private final BatchedInferenceService batched;
    private final InferenceStack stack;
    private final PredictionCache cache;
    private final Map<String, DriftMonitor> monitors;
    private final ServerMetrics metrics;
    private final Tracing tracing;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object stopLock = new Object();
    private boolean stopping;

    private PeregrineServer(ServeConfig config, Vertx vertx, HttpServer http, HttpApi api, Layers layers,
                            ServerMetrics metrics, Tracing tracing) {
        this.tracing = tracing;
        this.config = config;
        this.vertx = vertx;
        this.http = http;
        this.api = api;
        this.batched = layers.batched;
        this.stack = layers.stack;
        this.cache = layers.cache;
        this.monitors = layers.monitors;
        this.metrics = metrics;
    }

    /**
     * The services a request passes through, outermost first: drift monitoring (it sees every
     * answer, cached or not), the prediction cache (so a cached request is never queued or refused),
     * the batchers.
     */
    private static final class Layers {
        BatchedInferenceService batched;
        PredictionCache cache;
        Map<String, DriftMonitor> monitors = Map.of();
        MonitoringInferenceService monitoring;
        InferenceStack stack;

        void close(Duration grace) {
            if (batched != null) {
                batched.close(grace);
            }
            if (cache != null) {
                cache.close();
            }
            monitors.values().forEach(DriftMonitor::close);
        }
    }

    private static Layers layers(ServeConfig config, ModelResolver resolver, ServerMetrics metrics,
                                 StartupReport report) {
        Layers layers = new Layers();
        try {
            ServiceSettings settings = config.serviceSettings();
            layers.batched = BatchedInferenceService.load(config, resolver, metrics, report);
            ServedModels models = layers.batched.models();
            InferenceService top = layers.batched;
            // Every configured model, those still loading in the background too.
            List<String> names = models.states().stream().map(ModelReadiness.ModelState::name).toList();
            CacheConfig c = config.cache();
            for (String excluded : c.exclude()) {
                if (!names.contains(excluded)) {
                    throw new IllegalArgumentException("--cache-exclude names '" + excluded + "', which is not served "
                            + "(models: " + String.join(", ", names) + ")");
                }
            }
            if (c.mode() != CacheConfig.Mode.OFF) {
                var builder = PredictionCache.builder()
                        .maximumEntries(c.maxEntries())
                        .maximumBytes(c.maxBytes())
                        .ttl(c.ttl())
                        .executor(layers.batched.requestPool())
                        .meterRegistry(metrics.registry());
                if (c.mode() == CacheConfig.Mode.REDIS) {
                    builder.redis(c.redisUri()).redisKeyPrefix(c.redisPrefix()).redisTimeout(c.redisTimeout());
                }
                layers.cache = builder.build();
                top = new CachingInferenceService(top, layers.cache, models, settings);
            }
            DriftView drift = DriftView.OFF;
            DriftConfig d = config.drift();
            if (d.enabled()) {
                layers.monitors = new java.util.concurrent.ConcurrentHashMap<>(monitors(d, models.all(), names, metrics));
                layers.monitoring = new MonitoringInferenceService(top, models, layers.monitors);
                top = layers.monitoring;
                drift = layers.monitoring;
            }
            BatchedInferenceService batched = layers.batched;
            layers.stack = new InferenceStack(models, new RequestResolver(settings), top, batched::ready, drift);
            return layers;
        } catch (RuntimeException e) {
            layers.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Drift monitors for {@code models}.
     *
     * @param configured every configured model's name (some may still be loading), to check references against
     */
    private static Map<String, DriftMonitor> monitors(DriftConfig d, List<ServedModel> models, List<String> configured,
                                                      ServerMetrics metrics) {
        Map<String, java.nio.file.Path> references = new LinkedHashMap<>(d.references());
        java.nio.file.Path forFirst = references.remove("");
        for (String name : references.keySet()) {
            if (!configured.contains(name)) {
                throw new IllegalArgumentException("--drift-reference names '" + name + "', which is not served");
            }
        }
        Map<String, DriftMonitor> out = new LinkedHashMap<>();
        for (ServedModel m : models) {
            boolean first = !configured.isEmpty() && configured.get(0).equals(m.name());
            DriftMonitor.Builder b = DriftMonitor.builder(m.name(), m.info().task(), m.info().labels())
                    .warmup(d.warmup())
                    .windows(d.window(), d.longWindow())
                    .meterRegistry(metrics.registry());
            java.nio.file.Path file = references.getOrDefault(m.name(), first ? forFirst : null);
            if (file != null) {
                b.reference(DriftReference.read(file), file.toString());
            }
            if (d.predictionLog() != null) {
                try {
                    b.predictionLog(new PredictionLog(d.predictionLog().resolve(m.name().replace('/', '_') + ".jsonl"),
                            d.logSampleRate(), d.logMaxBytes(), d.logKeepFiles(), d.logText(), Clock.systemUTC(),
                            new SplittableRandom()));
                } catch (java.io.IOException e) {
                    out.values().forEach(DriftMonitor::close);
                    throw new PeregrineException(ErrorKind.IO, "cannot open the prediction log in " + d.predictionLog()
                            + ": " + e.getMessage(), e);
                }
            }
            try {
                out.put(m.name(), b.build());
            } catch (IllegalArgumentException e) {
                out.values().forEach(DriftMonitor::close);
                throw new IllegalArgumentException("drift reference " + file + " does not fit model '" + m.name()
                        + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Loads every model, then listens.
     *
     * @throws dev.peregrine.core.PeregrineException when a model cannot be resolved or loaded
     * @throws IllegalStateException                  when the port cannot be bound
     */
    public static PeregrineServer start(ServeConfig config, ModelResolver resolver) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(resolver, "resolver");
        StartupReport report = StartupReport.begin();
        long t0 = System.nanoTime();
        for (Map.Entry<String, String> e : config.describe().entrySet()) {
            LOG.info("{} = {}", e.getKey(), e.getValue());
        }
        LOG.info("cpu: {}", CpuFeatures.detect().summary());
        // Vert.x starts (its classes load, its event loop spins up) while the models load: a few hundred
        // milliseconds of start-up that need not wait for them.
        java.util.concurrent.CompletableFuture<Vertx> starting = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(false)),
                r -> {
                    Thread t = new Thread(r, "peregrine-vertx-start");
                    t.setDaemon(true);
                    t.start();
                });
        ServerMetrics metrics = new ServerMetrics();
        report.phase("server_setup", System.nanoTime() - t0);
        Layers layers;
        try {
            long t1 = System.nanoTime();
            layers = layers(config, resolver, metrics, report);
            long models = report.models().stream().mapToLong(StartupReport.ModelLoad::totalMs).sum() * 1_000_000;
            report.phase("cache_and_drift", Math.max(0, System.nanoTime() - t1 - models));
        } catch (RuntimeException e) {
            starting.thenAccept(v -> v.close());
            throw e;
        }
        Vertx vertx;
        try {
            long t2 = System.nanoTime();
            vertx = starting.join();
            report.phase("waiting_for_vertx", System.nanoTime() - t2);
        } catch (java.util.concurrent.CompletionException e) {
            layers.close(Duration.ZERO);
            throw new IllegalStateException("cannot start Vert.x: " + e.getCause(), e.getCause());
        }
        Tracing tracing = Tracing.disabled();
        long t3 = System.nanoTime();
        try {
            tracing = Tracing.start(config.tracing(), version());
            HttpApi api = new HttpApi(vertx, layers.stack, config, metrics, layers.batched.requestPool(), version(),
                    tracing);
            api.startupReport(report);
            HttpServer http = vertx.createHttpServer(new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.port())
                    .setCompressionSupported(false)
                    .setDecompressionSupported(false)
                    // HTTP/1.1 only: the connection guard's phases assume one request at a time.
                    .setHttp2ClearTextEnabled(false)
                    .setTcpNoDelay(true));
            api.attach(http);
            http.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            report.portBound();
            report.phase("routes_and_listen", System.nanoTime() - t3);
            PeregrineServer server = new PeregrineServer(config, vertx, http, api, layers, metrics, tracing);
            // Every engine ran its warm-up pass when it was opened (Engine.open): ready as soon as we listen.
            api.started();
            report.ready();
            LOG.info("listening on http://{}:{} ({} model(s): {}); ready", config.host(), http.actualPort(),
                    layers.stack.models().all().size(), layers.stack.models().names());
            report.lines().forEach(LOG::info);
            List<String> loading = layers.batched.loadDeferred(served -> server.backgroundLoaded(served, layers, report));
            if (!loading.isEmpty()) {
                LOG.info("building {} in the background (first use): the other models answer now; requests for it "
                        + "get 503 with Retry-After, and /readyz turns 200 once it is ready ({} it alone)",
                        String.join(", ", loading), "/readyz?model=NAME reports on");
            } else {
                report.everyModelReady();
            }
            return server;
        } catch (ExecutionException | TimeoutException e) {
            tracing.close();
            closeQuietly(vertx, layers);
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tracing.close();
            closeQuietly(vertx, layers);
            throw new IllegalStateException("interrupted while starting", e);
        } catch (RuntimeException e) {
            tracing.close();
            closeQuietly(vertx, layers);
            throw e;
        }
    }

    /** A model built and loaded in the background is ready: monitor it, and report. */
    private void backgroundLoaded(ServedModel served, Layers layers, StartupReport report) {
        DriftConfig d = config.drift();
        if (d.enabled() && layers.monitoring != null) {
            try {
                List<String> configured = layers.stack.models().states().stream().map(ModelReadiness.ModelState::name)
                        .toList();
                Map<String, DriftMonitor> added = monitors(d, List.of(served), configured, metrics);
                added.forEach((name, monitor) -> {
                    layers.monitors.put(name, monitor);
                    layers.monitoring.monitor(name, monitor);
                });
            } catch (RuntimeException e) {
                LOG.warn("model '{}' is served without drift monitoring: {}", served.name(), e.getMessage());
            }
        }
        if (layers.batched.ready()) {
            report.everyModelReady();
            LOG.info("every model ready {} ms after the JVM started", report.everyModelReadyAtMs());
            report.lines().forEach(LOG::info);
        }
    }

    private static void closeQuietly(Vertx vertx, Layers layers) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort during a failed start
        }
        layers.close(Duration.ZERO);
    }

    /** The port listened on (the actual one when the configuration asked for 0). */
    public int port() {
        return http.actualPort();
    }

    /** The stack the routes call: models, request resolution, the service layers, readiness, drift. */
    public InferenceStack stack() {
        return stack;
    }

    /** The served models (with the state of those still loading). */
    public ServedModels models() {
        return stack.models();
    }

    /** Inference requests admitted (body received) and not yet answered. */
    public int inFlightRequests() {
        return api.inFlight();
    }

    /** Whether {@code /readyz} answers 200: warmed up, not stopping, and the service takes work. */
    public boolean ready() {
        return api.ready();
    }

    public ServeConfig config() {
        return config;
    }

    /** The server's tracing ({@link Tracing#disabled()} without an OTLP endpoint). */
    public Tracing tracing() {
        return tracing;
    }

    /**
     * Stops gracefully, within the configured shutdown timeout, losing no request:
     * <ol>
     *   <li>Readiness fails at once ({@code /readyz}, {@code /health} 503), and every response from now on
     *       carries {@code Connection: close} and closes its connection.</li>
     *   <li>The listener and idle keep-alive connections stay open until every connection has closed
     *       (each does after its next response), or for at most {@link ServeConfig#drainIdleGrace()}: a
     *       client answered just before the drain began sends its next request on its kept-alive
     *       connection, and gets it answered instead of finding the connection closed under it. Then the
     *       listener closes (new connections are refused) and idle connections close; requests in
     *       progress go on.</li>
     *   <li>Accepted requests are answered as usual until the shutdown timeout; whatever is still open
     *       then is answered 503 with {@code Retry-After}.</li>
     *   <li>The batchers, the cache, the drift monitors and Vert.x are closed; then the tracing exporter
     *       sends the spans it still holds and stops.</li>
     * </ol>
     * Idempotent; concurrent callers wait for the first.
     */
    public void stop() {
        synchronized (stopLock) {
            if (stopping) {
                awaitStopUninterruptibly();
                return;
            }
            stopping = true;
        }
        long t0 = System.nanoTime();
        Duration grace = config.shutdownTimeout();
        long deadline = t0 + grace.toNanos();
        api.drain();
        LOG.info("stopping: not ready; answering the {} request(s) in progress, each with Connection: close",
                api.openRequests());
        long idleEnd = Math.min(deadline, t0 + config.drainIdleGrace().toNanos());
        while (api.openConnections() > 0 && System.nanoTime() < idleEnd && !Thread.currentThread().isInterrupted()) {
            sleepUntil(Math.min(idleEnd, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5)));
        }
        if (api.openConnections() > 0) {
            LOG.info("{} connection(s) still open after the drain's idle grace of {} ms: closing the listener and the idle ones",
                    api.openConnections(), config.drainIdleGrace().toMillis());
        }
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        // Vert.x closes the listener at once, idle connections too, and each other one after its response.
        java.util.concurrent.CompletableFuture<Void> closed = http.shutdown(left.plus(ABANDON_MARGIN))
                .toCompletionStage().toCompletableFuture();
        while (api.openRequests() > 0 && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            sleepUntil(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5)));
        }
        if (api.openRequests() > 0) {
            LOG.warn("{} request(s) still open after the shutdown timeout of {} ms; answering them 503",
                    api.openRequests(), grace.toMillis());
            try {
                api.abandonOpenRequests().toCompletionStage().toCompletableFuture()
                        .get(ABANDON_MARGIN.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("could not answer every open request: {}", e.toString());
            }
        }
        try {
            closed.get(ABANDON_MARGIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("HTTP shutdown did not complete cleanly: {}", e.toString());
        }
        // Abandoned work was cancelled; what is mid-pass or mid-tokenization still gets a moment to end
        // before its sessions close under it.
        batched.close(Duration.ofMillis(Math.max(ABANDON_MARGIN.toMillis(), (deadline - System.nanoTime()) / 1_000_000)));
        if (cache != null) {
            cache.close();
        }
        monitors.values().forEach(DriftMonitor::close);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Vert.x did not close cleanly: {}", e.toString());
        }
        metrics.close();
        // Last, when every request has ended its span: the exporter sends what it still holds.
        tracing.close();
        LOG.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
        stopped.countDown();
    }

    private static void sleepUntil(long nanoDeadline) {
        long wait = nanoDeadline - System.nanoTime();
        if (wait <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Blocks until {@link #stop()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void awaitStopUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                stopped.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    static String version() {
        String v = PeregrineServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
