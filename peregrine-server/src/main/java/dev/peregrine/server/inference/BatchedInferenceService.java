package dev.peregrine.server.inference;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.LongTextOptions;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.WindowedText;
import dev.peregrine.server.ModelSpec;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.batching.BatchResult;
import dev.peregrine.server.batching.BatcherClosedException;
import dev.peregrine.server.batching.DynamicBatcher;
import dev.peregrine.server.batching.OverloadedException;
import dev.peregrine.server.batching.PassObserver;
import dev.peregrine.server.batching.WindowedRun;
import dev.peregrine.server.metrics.ServerMetrics;
import dev.peregrine.server.startup.StartupReport;
import dev.peregrine.server.tracing.RequestTrace;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link InferenceService} over one {@link DynamicBatcher} per model.
 *
 * <h2>Threads</h2>
 * A request is admitted on the caller's thread (an immediate {@code OverloadedException} when its
 * model's queue is full, before any work is done for it), tokenized on a small request pool in
 * bounded steps that check the request's deadline (see {@link Tokenization}), run on its model's
 * workers, and post-processed (normalization, labels) back on the request pool, so that a large
 * request never holds the caller (the HTTP event loop) or a worker for long. The request pool's
 * queue is bounded by admission: only admitted requests are ever put on it.
 *
 * <p>A small request skips both hand-offs: one of at most {@value #INLINE_CHARS} characters is
 * tokenized on the caller's thread, and a result of at most {@value #INLINE_VALUES} values is
 * post-processed on the worker that ran its last pass. Each is tens to a few hundred microseconds
 * of work, less than a hand-off costs on an idle machine: measured at one client on 2 cores, each
 * thread hop took 0.15-0.3 ms (the woken thread's core was idle), and the five hops of a request
 * (event loop, request pool, batcher, worker, request pool, event loop) were most of the server's
 * time beside the forward pass.
 */
public final class BatchedInferenceService implements InferenceService, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchedInferenceService.class);
    /**
     * Characters tokenized in one step of a request before it checks its deadline and lets other
     * requests' tokenization run: a few milliseconds of work.
     */
    static final int CHUNK_CHARS = 64 * 1024;
    /** A request with at most this many characters in all is tokenized on the caller's thread. */
    static final int INLINE_CHARS = 2_000;
    /** A result with at most this many values in all is post-processed on the worker that finished it. */
    static final int INLINE_VALUES = 4_096;

    /** Ready models' hosts by name; replaced whole (under {@link #hostsLock}) when a background load adds one. */
    private volatile Map<String, ModelHost> hosts;
    private final Object hostsLock = new Object();
    private final ServedModels models;
    private ModelLoader loader;
    private final ExecutorService requestPool;
    private final ServerMetrics metrics;
    private final LongTextOptions longTextOptions;
    private volatile boolean ready = true;

    private BatchedInferenceService(Map<String, ModelHost> hosts, ServiceSettings settings, ServerMetrics metrics) {
        this.hosts = hosts;
        this.longTextOptions = settings.longTextOptions();
        this.models = new ServedModels(hosts.values().stream().map(h -> h.served).toList());
        this.metrics = metrics;
        int threads = settings.requestThreads();
        AtomicInteger counter = new AtomicInteger();
        this.requestPool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new RequestThread(r, "peregrine-request-" + counter.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
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
        BatchedInferenceService service = new BatchedInferenceService(hosts, config.serviceSettings(), metrics);
        service.loader = loader;
        for (ModelLoader.Deferred d : loader.deferred()) {
            service.models.loading(d.name(), d.aliases(), d.position());
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
                    models.failed(d.name(), e.getMessage());
                }
            }
        }, "peregrine-model-loader");
        // Building (training) cannot be interrupted part-way; a stopping server exits without waiting for it.
        t.setDaemon(true);
        t.start();
        return todo.stream().map(ModelLoader.Deferred::name).toList();
    }

    /**
     * A model loaded in the background is ready: its host joins the others, its model the served ones.
     *
     * @return false when the service was shut down meanwhile (the host is closed instead)
     */
    boolean loaded(ModelHost host) {
        synchronized (hostsLock) {
            if (!ready) {
                host.close(Duration.ZERO);
                return false;
            }
            Map<String, ModelHost> next = new LinkedHashMap<>(hosts);
            next.put(host.name(), host);
            hosts = next;
            models.loaded(host.served);
            return true;
        }
    }

    /** The pool that parses, tokenizes and renders requests (never the event loop, never a worker). */
    public ExecutorService requestPool() {
        return requestPool;
    }

    /** The models loaded, in configuration order. */
    public ServedModels models() {
        return models;
    }

    /**
     * Admits the request on the caller's thread, tokenizes it on the request pool, batches it, and
     * post-processes its rows back on the request pool: embedder and classifier alike, except that an
     * embedding asked to be normalized is normalized there.
     */
    @Override
    public CompletableFuture<InferenceResult> infer(ResolvedRequest request) {
        ModelHost host = hosts.get(request.model().name());
        if (host == null || host.served != request.model()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("model '" + request.model().name()
                    + "' is not one of this service's"));
        }
        DynamicBatcher.Reservation reservation;
        try {
            reservation = host.batcher.reserve(request.texts().size(), request.deadlineNanos());
        } catch (OverloadedException e) {
            return CompletableFuture.failedFuture(new ServiceException.Overloaded(e.getMessage()));
        } catch (BatcherClosedException e) {
            return CompletableFuture.failedFuture(new ServiceException.ShuttingDown(e.getMessage()));
        }
        CompletableFuture<InferenceResult> result = new CompletableFuture<>();
        request.cancellation().onCancel(result::completeExceptionally);
        Tokenization tokenization = new Tokenization(host, reservation, request, result);
        if (Thread.currentThread() instanceof RequestThread || inline(request)) {
            // Already off the event loop (the routes parse on this pool), or small enough that the
            // hand-off would cost more than the work: start here.
            tokenization.run();
            return result;
        }
        try {
            requestPool.execute(tokenization);
        } catch (RejectedExecutionException e) {
            reservation.cancel();
            result.completeExceptionally(new ServiceException.ShuttingDown("the server is shutting down"));
        }
        return result;
    }

    /** Not shutting down, and every configured model loaded (none still loading in the background, none failed). */
    public boolean ready() {
        return ready && !models.anyPending();
    }

    /** Whether a request is small enough to tokenize on the caller's thread, even the event loop. */
    static boolean inline(ResolvedRequest request) {
        if (request.options().longText() == LongTextMode.CHUNK) {
            return false;
        }
        long chars = 0;
        for (String t : request.texts()) {
            chars += t.length();
            if (chars > INLINE_CHARS) {
                return false;
            }
        }
        return true;
    }

    /** Whether a batch's rows are few enough to post-process on the worker thread that completed them. */
    static boolean inline(BatchResult batch) {
        long values = 0;
        for (TextResult r : batch.texts()) {
            values += r.values().length;
            if (values > INLINE_VALUES) {
                return false;
            }
        }
        return true;
    }

    /** A thread of the request pool. */
    private static final class RequestThread extends Thread {
        RequestThread(Runnable task, String name) {
            super(task, name);
        }
    }

    /**
     * One request's tokenization, in steps of at most {@link #CHUNK_CHARS} characters (each text
     * counted up to the tokenizer's character budget). Between steps it checks its deadline and
     * whether its caller is still waiting, and goes to the back of the request pool's queue, so a
     * huge request takes turns with small ones instead of holding a thread until it is done.
     */
    private final class Tokenization implements Runnable {
        private final ModelHost host;
        private final DynamicBatcher.Reservation reservation;
        private final ResolvedRequest request;
        private final List<String> texts;
        private final LongTextMode longText;
        private final long deadlineNanos;
        private final CompletableFuture<InferenceResult> result;
        private final List<EncodedText> encoded;
        private final RequestTrace trace;
        /** With long_text chunk: each text whole, as its windows. */
        private final List<WindowedText> windowed = new ArrayList<>();
        private int next;
        private long tokenizeNanos;
        /** When the first step started (for the trace's tokenize span). */
        private long firstStepNanos;

        Tokenization(ModelHost host, DynamicBatcher.Reservation reservation, ResolvedRequest request,
                     CompletableFuture<InferenceResult> result) {
            this.host = host;
            this.reservation = reservation;
            this.request = request;
            this.texts = request.texts();
            this.longText = request.options().longText();
            this.deadlineNanos = request.deadlineNanos();
            this.result = result;
            this.trace = request.trace();
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
            if (t0 - deadlineNanos >= 0 && deadlineNanos != ResolvedRequest.NO_DEADLINE) {
                reservation.cancel();
                result.completeExceptionally(new TimeoutException("the deadline passed during tokenization"));
                return;
            }
            if (next == 0) {
                firstStepNanos = t0;
            }
            if (next == 0 && longText == LongTextMode.REJECT) {
                // A text over the character budget is refused before any text is tokenized.
                host.engine().checkCharacterBudget(texts);
            } else if (next == 0 && longText == LongTextMode.CHUNK) {
                if (!request.options().addSpecialTokens()) {
                    // Token ids spell their own special tokens; windows repeat the model's around each slice.
                    throw new PeregrineException(ErrorKind.INVALID_INPUT, "long_text \"chunk\" splits texts, not token "
                            + "ids; send the text, or long_text \"truncate\" or \"reject\"");
                }
                host.engine().checkWindowBudget(texts, longTextOptions);
            }
            int budget = longText == LongTextMode.CHUNK ? longTextOptions.maxChars() : host.engine().charBudget();
            int from = next;
            long chars = 0;
            while (next < texts.size() && (next == from || chars + Math.min(budget, texts.get(next).length()) <= CHUNK_CHARS)) {
                chars += Math.min(budget, texts.get(next).length());
                next++;
            }
            try {
                if (longText == LongTextMode.CHUNK) {
                    windowed.addAll(host.engine().encodeWindows(texts.subList(from, next), longTextOptions));
                } else {
                    encoded.addAll(host.encode(texts.subList(from, next), longText == LongTextMode.TRUNCATE,
                            request.options().direction(), request.options().addSpecialTokens()));
                }
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
            WindowedTexts split = null;
            List<Integer> windowCounts = List.of();
            if (longText == LongTextMode.CHUNK) {
                WindowedTexts all = new WindowedTexts(windowed);
                windowCounts = all.counts();
                if (all.anySplit()) {
                    split = all;
                } else {
                    encoded.addAll(all.windows());
                }
            }
            List<EncodedText> queued = split == null ? encoded : split.windows();
            if (trace.recording()) {
                long tokens = 0;
                for (EncodedText e : queued) {
                    tokens += e.length();
                }
                trace.tokenized(host.name(), firstStepNanos, submitted, queued.size(), tokens);
            }
            CompletableFuture<BatchResult> inner = split != null ? startWindows(queued)
                    : trace.recording() ? reservation.submit(encoded, deadlineNanos, trace)
                    : reservation.submit(encoded, deadlineNanos);
            WindowedTexts pooled = split;
            List<Integer> counts = windowCounts;
            // Called off (deadline, client gone): drop the texts not yet run.
            request.cancellation().onCancel(why -> inner.cancel(false));
            inner.whenComplete((batch, error) -> {
                Runnable finishing = () -> {
                    if (error != null) {
                        result.completeExceptionally(unwrap(error));
                        return;
                    }
                    metrics.queue(host.name(), batch.queueNanos());
                    counts.forEach(count -> metrics.windows(host.name(), count));
                    if (trace.recording()) {
                        trace.queued(host.name(), submitted, submitted + batch.queueNanos());
                    }
                    try {
                        result.complete(pooled == null ? finish(batch) : finishWindows(pooled, batch));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                };
                if (error != null || (pooled == null && inline(batch))) {
                    finishing.run();     // small: here, on the worker (or the failing thread)
                } else {
                    finishOnPool(finishing);
                }
            });
        }

        /**
         * The windows of texts longer than the model's limit replace the texts' own room in the queue:
         * they are admitted again, all at once by their real tokens, and run a round at a time.
         */
        private CompletableFuture<BatchResult> startWindows(List<EncodedText> windows) {
            reservation.cancel();
            int room = host.batcher.options().maxQueuedTexts();
            if (windows.size() > room) {
                throw new PeregrineException(ErrorKind.INPUT_TOO_LONG, "the texts make " + windows.size()
                        + " windows, more than the " + room + " texts model '" + host.name()
                        + "' queues at once (--max-queued-texts); send fewer or shorter texts");
            }
            try {
                return WindowedRun.start(host.batcher, windows, deadlineNanos,
                        trace.recording() ? trace : PassObserver.NONE);
            } catch (OverloadedException e) {
                throw new ServiceException.Overloaded(e.getMessage());
            } catch (BatcherClosedException e) {
                throw new ServiceException.ShuttingDown(e.getMessage());
            }
        }

        private InferenceResult finishWindows(WindowedTexts split, BatchResult batch) {
            boolean raw = request.options().rawScores();
            List<TextResult> out = split.pool(batch.texts(), request.task(), request.options().normalize(),
                    logits -> raw ? logits : host.engine().scores(logits));
            return new InferenceResult(host.served, out, new Timings(tokenizeNanos, batch.queueNanos(),
                    batch.inferenceNanos()));
        }

        private InferenceResult finish(BatchResult batch) {
            List<TextResult> out = batch.texts();
            if (request.task() == Task.CLASSIFICATION && !request.options().rawScores()) {
                // The batch ran raw (its texts may belong to requests that want logits): probabilities here.
                List<TextResult> scored = new ArrayList<>(out.size());
                for (TextResult r : out) {
                    scored.add(r.withValues(host.engine().scores(r.values())));
                }
                out = scored;
            }
            if (request.options().normalize()) {
                // Each row is the batcher's own fresh array: normalized in place.
                for (TextResult r : out) {
                    Vectors.normalizeInPlace(r.values());
                }
            }
            return new InferenceResult(host.served, out, new Timings(tokenizeNanos, batch.queueNanos(),
                    batch.inferenceNanos()));
        }
    }

    /** A large result's post-processing goes to the request pool, so workers go on running passes; inline if the pool is gone. */
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

    /** Marks the service not ready and refuses new work; admitted work still completes. */
    public void shutdown() {
        synchronized (hostsLock) {
            // From here on a model finishing its background load is closed, not added (see loaded).
            ready = false;
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
