package dev.peregrine.server.inference;

import dev.peregrine.cache.CacheScope;
import dev.peregrine.cache.CachedPrediction;
import dev.peregrine.cache.ModelFingerprint;
import dev.peregrine.cache.PredictionCache;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.server.tracing.RequestTrace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prediction cache in front of another {@link InferenceService} (the batcher): each text of a
 * request is answered from memory, then Redis, and only the texts still missing are sent on, in one
 * call. Because the cache sits before admission, a request answered entirely from the cache never
 * waits in a queue and is never refused as overloaded.
 *
 * <p>A text's key covers the model's name and content fingerprint (graph, tokenizer, config: the
 * same on every replica) and everything that changes its answer: task, normalization, truncation and
 * maximum length. A request opts out with {@code Cache-Control: no-cache}; a model opts out by being
 * listed in {@code --cache-exclude}. Thread-safe.
 */
public final class CachingInferenceService implements InferenceService {

    private static final Logger LOG = LoggerFactory.getLogger(CachingInferenceService.class);

    private final InferenceService delegate;
    private final PredictionCache cache;
    private final boolean autoTruncate;
    private final Set<String> excluded;
    private final Map<String, String> fingerprints = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Fingerprints every served model (reading its files once: about 0.3 s per 100 MB).
     *
     * @param autoTruncate what a request that does not say means by truncation (part of the key)
     * @param excluded     models that never use the cache
     */
    public CachingInferenceService(InferenceService delegate, PredictionCache cache, boolean autoTruncate,
                                   Set<String> excluded) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.autoTruncate = autoTruncate;
        this.excluded = Set.copyOf(excluded);
        for (ServedModel m : delegate.models()) {
            if (!this.excluded.contains(m.name())) {
                long t0 = System.nanoTime();
                fingerprints.put(m.name(), fingerprint(m.info()));
                LOG.debug("fingerprinted model '{}' in {} ms", m.name(), (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    /** The graph, its external data, and the folder's tokenizer and configuration files. */
    static String fingerprint(ModelInfo info) {
        List<Path> others = new ArrayList<>();
        for (String name : List.of("tokenizer.json", "config.json", "tokenizer_config.json", "special_tokens_map.json",
                "sentence_bert_config.json", "modules.json", "1_Pooling/config.json")) {
            Path p = info.folder().resolve(name);
            if (Files.isRegularFile(p)) {
                others.add(p);
            }
        }
        Path onnx = info.onnxFile();
        for (String suffix : List.of("_data", ".data")) {
            Path external = onnx.resolveSibling(onnx.getFileName() + suffix);
            if (Files.isRegularFile(external)) {
                others.add(external);
            }
        }
        return ModelFingerprint.of(onnx, others.toArray(Path[]::new));
    }

    @Override
    public List<ServedModel> models() {
        return delegate.models();
    }

    @Override
    public ServedModel resolve(String name, Task task) {
        return delegate.resolve(name, task);
    }

    @Override
    public boolean ready() {
        return delegate.ready();
    }

    @Override
    public CompletableFuture<EmbedResult> embed(String model, List<String> texts, RequestOptions options) {
        ServedModel served;
        try {
            served = delegate.resolve(model, Task.EMBEDDING);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!usesCache(served, options, texts)) {
            return delegate.embed(served.name(), texts, options);
        }
        boolean truncate = options.truncate() != null ? options.truncate() : autoTruncate;
        boolean normalize = options.normalize() != null ? options.normalize() : served.info().normalize();
        CacheScope scope = scope(served, "embedding", "normalize=" + normalize + ";truncate=" + truncate);
        RequestOptions resolved = new RequestOptions(truncate, normalize, false, options.deadlineNanos(), options.trace());
        AtomicReference<Timings> timings = new AtomicReference<>(Timings.NONE);
        AtomicReference<CompletableFuture<?>> computing = new AtomicReference<>();
        Lookup lookup = new Lookup(options.trace(), served.name(), texts.size());
        return cancelling(computing, cache.get(scope, texts, false, missing ->
                        remapTooLong(texts, lookup.missed(missing), started(computing, delegate.embed(served.name(), missing, resolved)).thenApply(r -> {
                            timings.set(r.timings());
                            List<CachedPrediction> out = new ArrayList<>(r.vectors().size());
                            for (int i = 0; i < r.vectors().size(); i++) {
                                TextStats s = r.texts().get(i);
                                out.add(new CachedPrediction(r.vectors().get(i), s.tokens(), s.truncated(), s.unknownTokens()));
                            }
                            return out;
                        })))
                .thenApply(cached -> {
                    lookup.allHit();
                    List<float[]> vectors = new ArrayList<>(cached.size());
                    List<TextStats> stats = new ArrayList<>(cached.size());
                    for (CachedPrediction p : cached) {
                        vectors.add(p.values());
                        stats.add(new TextStats(p.tokens(), p.truncated(), p.unknownTokens()));
                    }
                    return new EmbedResult(served.name(), vectors, stats, timings.get());
                }));
    }

    @Override
    public CompletableFuture<ClassifyResult> classify(String model, List<String> texts, RequestOptions options) {
        ServedModel served;
        try {
            served = delegate.resolve(model, Task.CLASSIFICATION);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!usesCache(served, options, texts)) {
            return delegate.classify(served.name(), texts, options);
        }
        boolean truncate = options.truncate() != null ? options.truncate() : autoTruncate;
        CacheScope scope = scope(served, "classification", "truncate=" + truncate);
        RequestOptions resolved = new RequestOptions(truncate, null, false, options.deadlineNanos(), options.trace());
        List<String> labels = served.info().labels();
        AtomicReference<Timings> timings = new AtomicReference<>(Timings.NONE);
        AtomicReference<CompletableFuture<?>> computing = new AtomicReference<>();
        Lookup lookup = new Lookup(options.trace(), served.name(), texts.size());
        return cancelling(computing, cache.get(scope, texts, false, missing ->
                        remapTooLong(texts, lookup.missed(missing), started(computing, delegate.classify(served.name(), missing, resolved)).thenApply(r -> {
                            timings.set(r.timings());
                            List<CachedPrediction> out = new ArrayList<>(r.predictions().size());
                            for (int i = 0; i < r.predictions().size(); i++) {
                                TextStats s = r.texts().get(i);
                                out.add(new CachedPrediction(r.predictions().get(i).probabilities(), s.tokens(), s.truncated(),
                                        s.unknownTokens()));
                            }
                            return out;
                        })))
                .thenApply(cached -> {
                    lookup.allHit();
                    List<Classification> predictions = new ArrayList<>(cached.size());
                    List<TextStats> stats = new ArrayList<>(cached.size());
                    for (CachedPrediction p : cached) {
                        predictions.add(Classification.of(labels, p.values()));
                        stats.add(new TextStats(p.tokens(), p.truncated(), p.unknownTokens()));
                    }
                    return new ClassifyResult(served.name(), predictions, stats, timings.get());
                }));
    }

    /**
     * One request's cache lookup, for its trace: it ends when the cache asks for the texts it missed,
     * or, when it held them all, with the answer. Reported once.
     */
    private static final class Lookup {
        private final RequestTrace trace;
        private final String model;
        private final int texts;
        private final long startNanos;
        private final AtomicBoolean reported = new AtomicBoolean();

        Lookup(RequestTrace trace, String model, int texts) {
            this.trace = trace;
            this.model = model;
            this.texts = texts;
            this.startNanos = trace.recording() ? System.nanoTime() : 0;
            trace.texts(texts);
        }

        <L extends List<?>> L missed(L missing) {
            if (trace.recording() && reported.compareAndSet(false, true)) {
                trace.cacheLookup(model, startNanos, System.nanoTime(), Math.max(0, texts - missing.size()), missing.size());
            }
            return missing;
        }

        void allHit() {
            if (trace.recording() && reported.compareAndSet(false, true)) {
                trace.cacheLookup(model, startNanos, System.nanoTime(), texts, 0);
            }
        }
    }

    /** Remembers the batcher's future of this request's own computation. */
    private static <T> CompletableFuture<T> started(AtomicReference<CompletableFuture<?>> computing,
                                                    CompletableFuture<T> work) {
        computing.set(work);
        return work;
    }

    /**
     * A client that has gone, or a timeout, cancels the returned future; its texts still queued must
     * leave the batcher, as without a cache. Calls coalesced onto this computation then compute their
     * texts themselves (the cache's rule for a failed computation), so they still get answers.
     */
    private static <T> CompletableFuture<T> cancelling(AtomicReference<CompletableFuture<?>> computing,
                                                       CompletableFuture<T> result) {
        result.whenComplete((value, error) -> {
            CompletableFuture<?> work = computing.get();
            if (error != null && work != null) {
                work.cancel(false);
            }
        });
        return result;
    }

    private boolean usesCache(ServedModel served, RequestOptions options, List<String> texts) {
        return options.cache() && !texts.isEmpty() && !excluded.contains(served.name());
    }

    private CacheScope scope(ServedModel served, String task, String parameters) {
        ModelInfo info = served.info();
        // A model loaded in the background after start is fingerprinted on its first request.
        String fingerprint = fingerprints.computeIfAbsent(served.name(), n -> fingerprint(info));
        return new CacheScope(served.name(), fingerprint, String.format(Locale.ROOT,
                "task=%s;%s;max_length=%d;pooling=%s", task, parameters, info.maxLength(),
                info.pooling() == null ? "-" : info.pooling().id()));
    }

    /**
     * The delegate numbers a too-long text by its place among the texts it was given, the ones the
     * cache did not hold; the client knows it by its place in the request.
     */
    private static <T> CompletableFuture<T> remapTooLong(List<String> request, List<String> sent, CompletableFuture<T> work) {
        return work.handle((value, error) -> {
            if (error == null) {
                return value;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof InputTooLongException tooLong && tooLong.index() < sent.size()) {
                throw new CompletionException(tooLong.at(request.indexOf(sent.get(tooLong.index()))));
            }
            throw error instanceof CompletionException ce ? ce : new CompletionException(error);
        });
    }
}
