package dev.peregrine.server;

import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.server.http.HttpApi;
import dev.peregrine.server.inference.BatchedInferenceService;
import dev.peregrine.server.inference.InferenceService;
import dev.peregrine.server.metrics.ServerMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.Map;
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
 * <p>{@link #stop()} is graceful: the listener closes (no new connections or requests), every
 * request already accepted is answered, then the batchers and sessions are closed. The CLI calls
 * it from a JVM shutdown hook, so SIGTERM drains the server. Thread-safe.
 */
public final class PeregrineServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeregrineServer.class);

    private final ServeConfig config;
    private final Vertx vertx;
    private final HttpServer http;
    private final HttpApi api;
    private final BatchedInferenceService service;
    private final ServerMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object stopLock = new Object();
    private boolean stopping;

    private PeregrineServer(ServeConfig config, Vertx vertx, HttpServer http, HttpApi api,
                            BatchedInferenceService service, ServerMetrics metrics) {
        this.config = config;
        this.vertx = vertx;
        this.http = http;
        this.api = api;
        this.service = service;
        this.metrics = metrics;
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
        for (Map.Entry<String, String> e : config.describe().entrySet()) {
            LOG.info("{} = {}", e.getKey(), e.getValue());
        }
        ServerMetrics metrics = new ServerMetrics();
        BatchedInferenceService service = BatchedInferenceService.load(config, resolver, metrics);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(false));
        try {
            HttpApi api = new HttpApi(vertx, service, config, metrics, service.requestPool(), version());
            HttpServer http = vertx.createHttpServer(new HttpServerOptions()
                            .setHost(config.host())
                            .setPort(config.port())
                            .setCompressionSupported(false)
                            .setTcpNoDelay(true))
                    .requestHandler(api.router());
            http.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            PeregrineServer server = new PeregrineServer(config, vertx, http, api, service, metrics);
            LOG.info("listening on http://{}:{} ({} model(s): {})", config.host(), http.actualPort(),
                    service.models().size(), String.join(", ", service.models().stream().map(m -> m.name()).toList()));
            return server;
        } catch (ExecutionException | TimeoutException e) {
            closeQuietly(vertx, service);
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(vertx, service);
            throw new IllegalStateException("interrupted while starting", e);
        } catch (RuntimeException e) {
            closeQuietly(vertx, service);
            throw e;
        }
    }

    private static void closeQuietly(Vertx vertx, BatchedInferenceService service) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort during a failed start
        }
        service.close(Duration.ZERO);
    }

    /** The port listened on (the actual one when the configuration asked for 0). */
    public int port() {
        return http.actualPort();
    }

    /** The service the routes call. */
    public InferenceService service() {
        return service;
    }

    /** HTTP requests accepted and not yet answered. */
    public int inFlightRequests() {
        return api.inFlight();
    }

    public ServeConfig config() {
        return config;
    }

    /**
     * Stops gracefully: refuses new connections and requests, answers every request already
     * accepted (waiting up to the configured shutdown timeout), then frees everything. Idempotent;
     * concurrent callers wait for the first.
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
        LOG.info("stopping: no new requests; answering the {} in progress", api.inFlight());
        try {
            // Vert.x closes the listener at once and each connection once its request in progress is answered.
            http.shutdown(grace).toCompletionStage().toCompletableFuture().get(grace.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("HTTP shutdown did not complete cleanly: {}", e.toString());
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (api.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (api.inFlight() > 0) {
            LOG.warn("{} request(s) still in progress after {} ms; closing anyway", api.inFlight(), grace.toMillis());
        }
        service.close(grace);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Vert.x did not close cleanly: {}", e.toString());
        }
        metrics.close();
        LOG.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
        stopped.countDown();
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
