package dev.peregrine.server.inference;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.server.ModelSpec;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.batching.BatchResult;
import dev.peregrine.server.batching.BatcherClosedException;
import dev.peregrine.server.batching.DynamicBatcher;
import dev.peregrine.server.metrics.ServerMetrics;
import dev.peregrine.server.startup.StartupReport;
import dev.peregrine.server.tracing.RequestTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link InferenceService} over one {@link DynamicBatcher} per model.
 *
 * <h2>Threads</h2>
 * A request is admitted on the caller's thread (an immediate {@code OverloadedException} when its
 * model's queue is full, before any work is done for it), tokenized on a small request pool in
 * bounded steps that check the request's deadline (see {@link Tokenization}), run on its model's
 * workers, and post-processed (normalization, labels) back on the request pool, so the
 * workers only run forward passes and the caller (the HTTP event loop) never blocks. The request
 * pool's queue is bounded by admission: only admitted requests are ever put on it.
 */
public final class BatchedInferenceService implements InferenceService, ModelReadiness, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchedInferenceService.class);
    /**
     * Characters tokenized in one step of a request before it checks its deadline and lets other
     * requests' tokenization run: a few milliseconds of work.
     */
    static final int CHUNK_CHARS = 64 * 1024;

    /** Every configured model's name, in configuration order. */
    private final List<String> order;
    /** Ready models, in configuration order; replaced whole (under {@link #statesLock}) when one is added. */
    private volatile Map<String, ModelHost> hosts;
    private volatile List<ServedModel> models;
    /** Models loading in the background, or whose background load failed; replaced whole. */
    private volatile Map<String, ModelState> pending = Map.of();
    private final Object statesLock = new Object();
    private ModelLoader loader;
    private final ExecutorService requestPool;
    private final ServerMetrics metrics;
    private final boolean autoTruncate;
    private volatile boolean ready = true;

    private BatchedInferenceService(Map<String, ModelHost> hosts, ExecutorService requestPool, ServerMetrics metrics,
                                    boolean autoTruncate) {
        this.hosts = hosts;
        this.models = hosts.values().stream().map(h -> h.served).toList();
        this.order = new java.util.concurrent.CopyOnWriteArrayList<>(hosts.keySet());
        this.requestPool = requestPool;
        this.metrics = metrics;
        this.autoTruncate = autoTruncate;
    }

    /**
     * Resolves and loads every model the configuration names (see {@link ModelLoader}), then starts
     * the request pool.
     *
     * @param report where each model's load time and memory are recorded
     * @throws PeregrineException when a model cannot be found or loaded
     */
    public static BatchedInferenceService load(ServeConfig config, ModelResolver resolver, ServerMetrics metrics,
                                               StartupReport report) {
        ModelLoader loader = new ModelLoader(config, resolver, metrics, report);
        Map<String, ModelHost> hosts = loader.loadAll();
        int threads = config.effectiveTokenizerThreads();
        AtomicInteger counter = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new RequestThread(r, "peregrine-request-" + counter.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        BatchedInferenceService service = new BatchedInferenceService(hosts, pool, metrics, config.autoTruncate());
        service.loader = loader;
        for (ModelLoader.Deferred d : loader.deferred()) {
            service.loading(d.name(), d.aliases(), d.position());
        }
        return service;
    }

    /**
     * Starts building and loading, one after another on a background thread, the models
     * {@link ModelLoader} deferred; each joins the served models when ready, and {@code onReady} is
     * told (on that thread). A model that fails stays FAILED (logged; requests for it get 503).
     *
     * @return the names of the models being loaded (empty when none)
     */
    public List<String> loadDeferred(java.util.function.Consumer<ServedModel> onReady) {
        List<ModelLoader.Deferred> todo = loader == null ? List.of() : loader.deferred();
        if (todo.isEmpty()) {
            return List.of();
        }
        Thread t = new Thread(() -> {
            for (ModelLoader.Deferred d : todo) {
                if (!ready) {
                    return;
                }
                try {
                    ModelHost host = loader.loadDeferred(d);
                    if (loaded(host)) {
                        onReady.accept(host.served);
                    }
                } catch (RuntimeException e) {
                    LOG.error("model '{}' failed to load in the background: {}", d.name(), e.getMessage(), e);
                    failed(d.name(), e.getMessage());
                }
            }
        }, "peregrine-model-loader");
        // Building (training) cannot be interrupted part-way; a stopping server exits without waiting for it.
        t.setDaemon(true);
        t.start();
        return todo.stream().map(ModelLoader.Deferred::name).toList();
    }

    /**
     * Registers a configured model that will load in the background: until {@link #loaded} (or
     * {@link #failed}), requests for it, and requests by task that only it could answer, get
     * {@link ModelNotReadyException}, and {@link #ready()} is false.
     *
     * @param position its place in the configuration's order
     */
    void loading(String name, List<String> aliases, int position) {
        synchronized (statesLock) {
            Map<String, ModelState> next = new LinkedHashMap<>(pending);
            next.put(name, new ModelState(name, aliases, State.LOADING, ""));
            order.add(Math.min(position, order.size()), name);
            pending = next;
        }
    }

    /**
     * A model loaded in the background is ready: it joins the served models at its configured place.
     *
     * @return false when the service was shut down meanwhile (the host is closed instead)
     */
    boolean loaded(ModelHost host) {
        synchronized (statesLock) {
            if (!ready) {
                host.close(Duration.ZERO);
                return false;
            }
            Map<String, ModelHost> next = new LinkedHashMap<>();
            for (String name : order) {
                if (name.equals(host.name())) {
                    next.put(name, host);
                } else if (hosts.containsKey(name)) {
                    next.put(name, hosts.get(name));
                }
            }
            Map<String, ModelState> left = new LinkedHashMap<>(pending);
            left.remove(host.name());
            hosts = next;
            models = next.values().stream().map(h -> h.served).toList();
            pending = left;
            return true;
        }
    }

    /** A background load failed: the model stays unavailable (503 naming the failure) and the service not ready. */
    void failed(String name, String detail) {
        synchronized (statesLock) {
            ModelState was = pending.get(name);
            Map<String, ModelState> next = new LinkedHashMap<>(pending);
            next.put(name, new ModelState(name, was == null ? List.of() : was.aliases(), State.FAILED, detail));
            pending = next;
        }
    }

    @Override
    public List<ModelState> states() {
        Map<String, ModelHost> ready = hosts;
        Map<String, ModelState> waiting = pending;
        List<ModelState> out = new ArrayList<>();
        for (String name : order) {
            ModelHost h = ready.get(name);
            if (h != null) {
                out.add(new ModelState(name, h.served.aliases(), State.READY, ""));
            } else if (waiting.containsKey(name)) {
                out.add(waiting.get(name));
            }
        }
        return out;
    }

    /** The pool that parses, tokenizes and renders requests (never the event loop, never a worker). */
    public ExecutorService requestPool() {
        return requestPool;
    }

    @Override
    public List<ServedModel> models() {
        return models;
    }

    @Override
    public ServedModel resolve(String name, Task task) {
        return host(name, task).served;
    }

    private ModelHost host(String name, Task task) {
        Map<String, ModelHost> hosts = this.hosts;
        Map<String, ModelState> waiting = this.pending;
        if (name == null) {
            for (ModelHost h : hosts.values()) {
                if (h.served.info().task() == task) {
                    return h;
                }
            }
            if (!waiting.isEmpty()) {
                throw notReady(waiting.values(), "no " + (task == Task.EMBEDDING ? "embedding model" : "classifier")
                        + " is ready yet");
            }
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no " + (task == Task.EMBEDDING
                    ? "embedding model" : "classifier") + " is served (models: " + String.join(", ", hosts.keySet()) + ")");
        }
        ModelHost h = hosts.get(name);
        if (h == null) {
            for (ModelHost candidate : hosts.values()) {
                if (candidate.served.answersTo(name)) {
                    h = candidate;
                }
            }
        }
        if (h == null) {
            for (ModelState w : waiting.values()) {
                if (w.answersTo(name)) {
                    throw notReady(List.of(w), "model '" + w.name() + "' is not ready");
                }
            }
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model named '" + name + "' is served (models: "
                    + String.join(", ", order) + ")");
        }
        if (h.served.info().task() != task) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + h.name() + "' is "
                    + (h.served.info().task() == Task.EMBEDDING ? "an embedding model" : "a classifier")
                    + " and cannot " + (task == Task.EMBEDDING ? "embed" : "classify"));
        }
        return h;
    }

    private static ModelNotReadyException notReady(java.util.Collection<ModelState> waiting, String what) {
        List<String> parts = new ArrayList<>();
        for (ModelState w : waiting) {
            parts.add(w.state() == State.FAILED ? "'" + w.name() + "' failed to load (" + w.detail() + ")"
                    : "'" + w.name() + "' is still loading (built on first use; retry shortly)");
        }
        return new ModelNotReadyException(what + ": " + String.join("; ", parts));
    }

    @Override
    public CompletableFuture<EmbedResult> embed(String model, List<String> texts, RequestOptions options) {
        return run(model, Task.EMBEDDING, texts, options, (host, batch, encoded, tokenize) -> {
            boolean norm = options.normalize() != null ? options.normalize() : host.served.info().normalize();
            List<float[]> vectors = new ArrayList<>(batch.rows().length);
            for (float[] row : batch.rows()) {
                vectors.add(norm ? Vectors.normalized(row) : row.clone());
            }
            return new EmbedResult(host.name(), vectors, TextStats.of(encoded), timings(tokenize, batch));
        });
    }

    @Override
    public CompletableFuture<ClassifyResult> classify(String model, List<String> texts, RequestOptions options) {
        return run(model, Task.CLASSIFICATION, texts, options, (host, batch, encoded, tokenize) -> {
            List<Classification> out = new ArrayList<>(batch.rows().length);
            for (float[] row : batch.rows()) {
                out.add(host.engine().toClassification(row.clone()));
            }
            return new ClassifyResult(host.name(), out, TextStats.of(encoded), timings(tokenize, batch));
        });
    }

    /** Not shutting down, and every configured model loaded (none still loading in the background, none failed). */
    @Override
    public boolean ready() {
        return ready && pending.isEmpty();
    }

    /** A thread of the request pool. */
    private static final class RequestThread extends Thread {
        RequestThread(Runnable task, String name) {
            super(task, name);
        }
    }

    private interface Finisher<T> {
        T finish(ModelHost host, BatchResult batch, List<EncodedText> encoded, long tokenizeNanos);
    }

    private <T> CompletableFuture<T> run(String model, Task task, List<String> texts, RequestOptions options,
                                         Finisher<T> finisher) {
        ModelHost host;
        DynamicBatcher.Reservation reservation;
        options.trace().texts(texts.size());
        try {
            if (texts.isEmpty()) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "no texts given");
            }
            host = host(model, task);
            reservation = host.batcher.reserve(texts.size(), options.deadlineNanos());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean truncate = options.truncate() != null ? options.truncate() : autoTruncate;
        CompletableFuture<T> result = new CompletableFuture<>();
        Tokenization<T> tokenization = new Tokenization<>(host, reservation, texts, truncate, options.deadlineNanos(),
                result, finisher, options.trace());
        if (Thread.currentThread() instanceof RequestThread) {
            // Already off the event loop (the routes parse on this pool): start here, saving a hand-off.
            tokenization.run();
            return result;
        }
        try {
            requestPool.execute(tokenization);
        } catch (RejectedExecutionException e) {
            reservation.cancel();
            result.completeExceptionally(new BatcherClosedException("the server is shutting down"));
        }
        return result;
    }

    /**
     * One request's tokenization, in steps of at most {@link #CHUNK_CHARS} characters (each text
     * counted up to the tokenizer's character budget). Between steps it checks its deadline and
     * whether its caller is still waiting, and goes to the back of the request pool's queue, so a
     * huge request takes turns with small ones instead of holding a thread until it is done.
     */
    private final class Tokenization<T> implements Runnable {
        private final ModelHost host;
        private final DynamicBatcher.Reservation reservation;
        private final List<String> texts;
        private final boolean truncate;
        private final long deadlineNanos;
        private final CompletableFuture<T> result;
        private final Finisher<T> finisher;
        private final List<EncodedText> encoded;
        private final RequestTrace trace;
        private int next;
        private long tokenizeNanos;
        /** When the first step started (for the trace's tokenize span). */
        private long firstStepNanos;

        Tokenization(ModelHost host, DynamicBatcher.Reservation reservation, List<String> texts, boolean truncate,
                     long deadlineNanos, CompletableFuture<T> result, Finisher<T> finisher, RequestTrace trace) {
            this.trace = trace;
            this.host = host;
            this.reservation = reservation;
            this.texts = texts;
            this.truncate = truncate;
            this.deadlineNanos = deadlineNanos;
            this.result = result;
            this.finisher = finisher;
            this.encoded = new ArrayList<>(texts.size());
        }

        @Override
        public void run() {
            try {
                step();
            } catch (RuntimeException e) {
                reservation.cancel();
                result.completeExceptionally(e);
            }
        }

        private void step() {
            if (result.isDone()) {
                reservation.cancel();
                return;
            }
            long t0 = System.nanoTime();
            if (t0 - deadlineNanos >= 0 && deadlineNanos != RequestOptions.NO_DEADLINE) {
                reservation.cancel();
                result.completeExceptionally(new TimeoutException("the deadline passed during tokenization"));
                return;
            }
            if (next == 0) {
                firstStepNanos = t0;
            }
            if (next == 0 && !truncate) {
                // A text over the character budget is refused before any text is tokenized.
                host.engine().checkCharacterBudget(texts);
            }
            int budget = host.engine().charBudget();
            int from = next;
            long chars = 0;
            while (next < texts.size() && (next == from || chars + Math.min(budget, texts.get(next).length()) <= CHUNK_CHARS)) {
                chars += Math.min(budget, texts.get(next).length());
                next++;
            }
            try {
                encoded.addAll(host.encode(texts.subList(from, next), truncate));
            } catch (InputTooLongException e) {
                throw e.at(from + e.index());
            }
            tokenizeNanos += System.nanoTime() - t0;
            if (next < texts.size()) {
                try {
                    requestPool.execute(this);
                } catch (RejectedExecutionException e) {
                    run();     // the pool is shutting down: finish here rather than drop admitted work
                }
                return;
            }
            submit();
        }

        private void submit() {
            metrics.tokenization(host.name(), tokenizeNanos);
            long submitted = System.nanoTime();
            if (trace.recording()) {
                long tokens = 0;
                for (EncodedText e : encoded) {
                    tokens += e.length();
                }
                trace.tokenized(host.name(), firstStepNanos, submitted, encoded.size(), tokens);
            }
            CompletableFuture<BatchResult> inner = trace.recording()
                    ? reservation.submit(encoded, deadlineNanos, trace) : reservation.submit(encoded, deadlineNanos);
            // A timeout or a client gone completes the result early: drop the texts not yet run.
            result.whenComplete((v, e) -> {
                if (e != null) {
                    inner.cancel(false);
                }
            });
            inner.whenComplete((batch, error) -> finishOnPool(() -> {
                if (error != null) {
                    result.completeExceptionally(unwrap(error));
                    return;
                }
                metrics.queue(host.name(), batch.queueNanos());
                if (trace.recording()) {
                    trace.queued(host.name(), submitted, submitted + batch.queueNanos());
                }
                try {
                    result.complete(finisher.finish(host, batch, encoded, tokenizeNanos));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }));
        }
    }

    /** Post-processing goes back to the request pool, so workers only run passes; inline if the pool is gone. */
    private void finishOnPool(Runnable task) {
        try {
            requestPool.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static Timings timings(long tokenize, BatchResult batch) {
        return new Timings(tokenize, batch.queueNanos(), batch.inferenceNanos());
    }

    /** Marks the service not ready and refuses new work; admitted work still completes. */
    public void shutdown() {
        ready = false;
        synchronized (statesLock) {
            // From here on a model finishing its background load is closed, not added (see loaded).
        }
        hosts.values().forEach(ModelHost::shutdown);
    }

    /** Finishes admitted work (up to {@code timeout} per model), then frees the sessions and the pool. */
    public void close(Duration timeout) {
        shutdown();
        // The pool first: a tokenization still running when its engine (and tokenizer) closed would
        // crash the JVM in native code. Passes that end later post-process inline.
        requestPool.shutdown();
        try {
            requestPool.awaitTermination(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        hosts.values().forEach(h -> h.close(timeout));
    }

    @Override
    public void close() {
        close(Duration.ofMinutes(1));
    }
}
