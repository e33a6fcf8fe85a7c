package dev.peregrine.server.inference;

import dev.peregrine.cache.CacheScope;
import dev.peregrine.cache.ModelFingerprint;
import dev.peregrine.cache.PredictionCache;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.server.tracing.RequestTrace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
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
 * maximum length. A request opts out with {@code Cache-Control: no-cache} (the cache passes it
 * through and counts it in {@code peregrine_cache_bypassed_total}); a model opts out by being listed
 * in {@code --cache-exclude} (never reaching the cache at all). Thread-safe.
 */
public final class CachingInferenceService implements InferenceService {

    private static final Logger LOG = LoggerFactory.getLogger(CachingInferenceService.class);

    private final InferenceService delegate;
    private final PredictionCache cache;
    private final Set<String> excluded;
    /**
     * Per model not excluded from the cache: its fingerprint, and its scope for each combination of
     * the options that change an answer, each built once rather than per request (for a model loaded
     * in the background, on its first request).
     */
    private final Map<String, Scopes> scopes = new ConcurrentHashMap<>();

    /**
     * Fingerprints every served model not excluded (reading its files once: about 0.3 s per 100 MB).
     */
    public CachingInferenceService(InferenceService delegate, PredictionCache cache, ServedModels models,
                                   ServiceSettings settings) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.excluded = settings.cacheExclude();
        for (ServedModel m : models.all()) {
            if (!excluded.contains(m.name())) {
                scopes.put(m.name(), new Scopes(m));
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
    public CompletableFuture<InferenceResult> infer(ResolvedRequest request) {
        ServedModel served = request.model();
        if (excluded.contains(served.name())) {
            return delegate.infer(request);     // an excluded model never touches the cache
        }
        // A request that opted out still goes through the cache, which counts it as bypassed.
        boolean bypass = !request.options().cache();
        CacheScope scope = scopes.computeIfAbsent(served.name(), n -> new Scopes(served)).of(request.options());
        List<String> texts = request.texts();
        AtomicReference<Timings> timings = new AtomicReference<>(Timings.NONE);
        // A bypass is no lookup: the trace shows none.
        Lookup lookup = new Lookup(bypass ? RequestTrace.NOOP : request.trace(), served.name(), texts.size());
        CompletableFuture<InferenceResult> result = cache.get(scope, texts, bypass, missing -> {
            CompletableFuture<InferenceResult> work = delegate.infer(request.withTexts(lookup.missed(missing)));
            return (bypass ? work : remapTooLong(texts, missing, work)).thenApply(r -> {
                timings.set(r.timings());
                return r.texts();
            });
        }).thenApply(answers -> {
            lookup.allHit();
            return new InferenceResult(served, answers, timings.get());
        });
        // A request called off while it waits on another request's computation of its texts fails at
        // once; its own computation (if any) was called off by the same cancellation below.
        request.cancellation().onCancel(result::completeExceptionally);
        return result;
    }

    /** One model's fingerprint and its scopes, made when first asked for. Thread-safe. */
    private static final class Scopes {
        private final ServedModel model;
        private final String fingerprint;
        /** By the request's options (records: equal options, one scope; a new option is a new key by itself). */
        private final Map<InferenceOptions, CacheScope> byOptions = new ConcurrentHashMap<>();

        /** Fingerprints the model (reading its files once: about 0.3 s per 100 MB). */
        Scopes(ServedModel model) {
            this.model = model;
            long t0 = System.nanoTime();
            this.fingerprint = fingerprint(model.info());
            LOG.debug("fingerprinted model '{}' in {} ms", model.name(), (System.nanoTime() - t0) / 1_000_000);
        }

        CacheScope of(InferenceOptions o) {
            CacheScope s = byOptions.get(o);
            if (s == null) {
                s = byOptions.computeIfAbsent(o, k -> scope(model, fingerprint, k));
            }
            return s;
        }
    }

    private static CacheScope scope(ServedModel served, String fingerprint, InferenceOptions options) {
        ModelInfo info = served.info();
        boolean embedding = info.task() == Task.EMBEDDING;
        return new CacheScope(served.name(), fingerprint, String.format(Locale.ROOT,
                "task=%s;%s;max_length=%d;pooling=%s", embedding ? "embedding" : "classification",
                options.answerKey(embedding), info.maxLength(),
                info.pooling() == null ? "-" : info.pooling().id()));
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
