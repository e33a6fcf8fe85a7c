package dev.peregrine.server;

import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.server.inference.ServiceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every tunable of the server, each with its default, validated once here. The CLI declares one
 * flag and one environment variable per field, with the defaults below; tests build one with
 * {@link #builder()}.
 *
 * <p>Fields that a model folder's {@code peregrine.json} may recommend ({@code variant},
 * {@code instances}, {@code threads}, {@code maxBatchSize}, {@code maxBatchTokens},
 * {@code graphOptimization}, {@code allowSpinning}) are nullable: null means "the model's
 * recommendation, else the default"; a value given explicitly wins over the recommendation.
 *
 * @param host                  interface to listen on
 * @param port                  port to listen on; 0 picks a free one
 * @param models                models to serve; empty (and no repository) serves the embedded default
 *                              embedder, and the default classifier when its provider is present
 * @param modelRepository       a folder with one model folder per sub-folder, served under the
 *                              sub-folder names; null for none
 * @param variant               ONNX variant to load from each folder; null: recommended or model.onnx
 * @param instances             workers per model (passes run at once); null: recommended or 1
 * @param threads               ONNX Runtime intra-op threads per worker; null: recommended or cores / instances
 * @param maxBatchSize          most texts per forward pass; null: recommended or {@value #DEFAULT_MAX_BATCH_SIZE}
 * @param maxBatchTokens        most padded tokens per pass; null: recommended or {@value #DEFAULT_MAX_BATCH_TOKENS}
 * @param passOverheadTokens    the fixed cost of one forward pass in padded tokens, against which the
 *                              batcher weighs padding a text to longer companions (the planner's cost
 *                              model, {@link dev.peregrine.core.engine.BatchPlanner}); lower favours
 *                              less padding and more, smaller passes
 * @param graphOptimization     ONNX Runtime graph optimization; null: recommended or all
 * @param allowSpinning         ONNX Runtime thread spinning; null: recommended or ONNX Runtime's default
 * @param spinBetweenPasses     whether ONNX Runtime's spinning threads go on spinning after a pass ends
 *                              (its default); false (ours) stops them as a pass returns, so between
 *                              passes the event loop and request threads have the cores
 * @param maxLength             truncate texts to this many tokens; 0 for the model's own limit
 * @param maxQueueDelay         longest a text waits for batch companions while a worker is free
 * @param maxQueuedTexts        per model, most texts admitted and not yet answered; more get 429
 * @param maxInputs             most texts in one request; more get 422
 * @param maxBodyBytes          largest request body; larger gets 413
 * @param maxConcurrentRequests most requests in progress at once, all routes; more get 429
 * @param requestTimeout        a request not answered by then gets 504 and its queued texts are dropped
 * @param tokenizerThreads      threads that parse, tokenize and serialize (never the event loop);
 *                              0 for one per core
 * @param longText              what happens to a text longer than the model's limit when a request does
 *                              not say: truncate, chunk (split into windows and pooled) or reject
 * @param apiKey                a Bearer token every inference and info route requires; null for none
 * @param shutdownTimeout       longest a graceful shutdown waits for accepted requests
 * @param drainIdleGrace        how long a graceful shutdown keeps the listener and idle keep-alive
 *                              connections open, so that a client answered just before it began gets its
 *                              next request answered (with {@code Connection: close}) rather than its
 *                              connection closed under it; the wait ends early once no connection is left
 * @param headerTimeout         longest a connection may take to send a request's headers, counted from its
 *                              first byte (from the connection's opening for its first request); then 408
 * @param bodyTimeout           longest a request may take to send its body once its headers have arrived;
 *                              then 408
 * @param idleTimeout           longest a keep-alive connection may stay open between requests
 * @param cache                 the prediction cache
 * @param drift                 drift monitoring and the prediction log
 * @param servedModelName       the name clients use for the one served model (its own name stays an
 *                              alias); null to keep the model's name
 * @param classifyFormat        the wire shape of {@code /classify}: Peregrine's, or the seeds' FastAPI app's
 * @param shareWeights          a model's instances share one ONNX Runtime session (one copy of the weights)
 *                              rather than one session each
 * @param graphCache            folder of graphs ONNX Runtime already optimized, reused across starts
 *                              ({@link dev.peregrine.core.engine.OptimizedModelCache}); null for none
 * @param tracing               OpenTelemetry tracing over OTLP and the access log
 * @param embeddings            default prompt and which models take {@code dimensions}
 */
public record ServeConfig(
        String host,
        int port,
        List<ModelSpec> models,
        Path modelRepository,
        String variant,
        Integer instances,
        Integer threads,
        Integer maxBatchSize,
        Integer maxBatchTokens,
        int passOverheadTokens,
        GraphOptimization graphOptimization,
        Boolean allowSpinning,
        boolean spinBetweenPasses,
        int maxLength,
        Duration maxQueueDelay,
        int maxQueuedTexts,
        int maxInputs,
        long maxBodyBytes,
        int maxConcurrentRequests,
        Duration requestTimeout,
        int tokenizerThreads,
        LongTextConfig longText,
        String apiKey,
        Duration shutdownTimeout,
        Duration drainIdleGrace,
        Duration headerTimeout,
        Duration bodyTimeout,
        Duration idleTimeout,
        CacheConfig cache,
        DriftConfig drift,
        String servedModelName,
        ClassifyFormat classifyFormat,
        boolean shareWeights,
        Path graphCache,
        TracingConfig tracing,
        EmbeddingsConfig embeddings) {

    /** The wire shapes {@code POST /classify} can speak. */
    public enum ClassifyFormat {
        /** {@code {"predictions": [{"label", "score", "scores"?}], "model", "latency_ms"}}. */
        PEREGRINE,
        /**
         * The seeds' FastAPI app: {@code {"predictions": ["billing", ...], "latency_ms"}}, at most 32
         * texts, 400 (with FastAPI's {@code detail}) for none or more.
         */
        SEEDS;

        /** Parses a flag value, case-insensitively. */
        public static ClassifyFormat parse(String value) {
            for (ClassifyFormat f : values()) {
                if (f.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("classify format must be peregrine or seeds, was '" + value + "'");
        }

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final String DEFAULT_CLASSIFY_FORMAT = "peregrine";
    public static final boolean DEFAULT_SHARE_WEIGHTS = true;
    public static final boolean DEFAULT_SPIN_BETWEEN_PASSES = false;
    public static final int DEFAULT_INSTANCES = 1;
    public static final int DEFAULT_MAX_BATCH_SIZE = EngineOptions.DEFAULT_MAX_BATCH_SIZE;
    public static final int DEFAULT_MAX_BATCH_TOKENS = EngineOptions.DEFAULT_MAX_BATCH_TOKENS;
    /**
     * Lower than the offline planner's 32 ({@link dev.peregrine.core.engine.BatchPlanner}): a text the
     * batcher leaves out of a pass does not run alone, it joins later arrivals of its length. Measured
     * at saturation (2 cores, MiniLM, 2 x 1, 64 clients, one text per request; docs/serving.md): 8 gave
     * 1.37x the texts/s of 32 on short texts, 1.09x on support tickets, 1.07x on news-length texts.
     */
    public static final int DEFAULT_PASS_OVERHEAD_TOKENS = 8;
    public static final String DEFAULT_MAX_QUEUE_DELAY_MS = "0";
    public static final int DEFAULT_MAX_QUEUED_TEXTS = 4096;
    public static final int DEFAULT_MAX_INPUTS = 256;
    public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 512;
    public static final String DEFAULT_REQUEST_TIMEOUT_MS = "30000";
    public static final int DEFAULT_TOKENIZER_THREADS = 0;
    public static final String DEFAULT_SHUTDOWN_TIMEOUT_MS = "30000";
    /**
     * A client thread in the middle of back-to-back requests sends its next within milliseconds, but on
     * a loaded 2-core machine it was seen to take over a second; the wait ends as soon as every
     * connection has closed, so only idle pooled connections make a stop take this long.
     */
    public static final String DEFAULT_DRAIN_IDLE_GRACE_MS = "3000";
    /** A real client sends its headers in one packet; 10 s leaves room for a slow mobile link. */
    public static final String DEFAULT_HEADER_TIMEOUT_MS = "10000";
    /** The default 10 MB body at 30 s needs about 350 KB/s, which any real uploader exceeds. */
    public static final String DEFAULT_BODY_TIMEOUT_MS = "30000";
    /**
     * Longer than the 60 s idle timeout of common load balancers, so that the balancer closes an idle
     * connection first and never sends a request on one the server is closing.
     */
    public static final String DEFAULT_IDLE_TIMEOUT_MS = "75000";

    public ServeConfig {
        Objects.requireNonNull(host, "host");
        models = List.copyOf(models);
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(drainIdleGrace, "drainIdleGrace");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(drift, "drift");
        Objects.requireNonNull(longText, "longText");
        Objects.requireNonNull(classifyFormat, "classifyFormat");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(embeddings, "embeddings");
        if (servedModelName != null && servedModelName.isBlank()) {
            servedModelName = null;
        }
        if (servedModelName != null) {
            new ModelSpec(servedModelName, "-");   // the same rule as any other served name
            if (models.size() > 1 || modelRepository != null) {
                throw new IllegalStateException("--served-model-name names the one served model; with several, "
                        + "name each with --model NAME=REF");
            }
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        atLeast("instances", instances, 1);
        atLeast("threads", threads, 0);
        atLeast("max batch size", maxBatchSize, 1);
        atLeast("max batch tokens", maxBatchTokens, 1);
        atLeast("pass overhead tokens", passOverheadTokens, 0);
        if (maxLength < 0 || maxLength == 1) {
            throw new IllegalArgumentException("max length must be 0 (model limit) or >= 2, was " + maxLength);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("max queue delay must not be negative, was " + maxQueueDelay);
        }
        atLeast("max inputs", maxInputs, 1);
        if (maxQueuedTexts < maxInputs) {
            throw new IllegalArgumentException("max queued texts (" + maxQueuedTexts
                    + ") must be at least max inputs (" + maxInputs + "), or a full request could never be admitted");
        }
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max body bytes must be 1.." + Integer.MAX_VALUE + ", was " + maxBodyBytes);
        }
        atLeast("max concurrent requests", maxConcurrentRequests, 1);
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + requestTimeout);
        }
        atLeast("tokenizer threads", tokenizerThreads, 0);
        if (shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdown timeout must not be negative, was " + shutdownTimeout);
        }
        if (drainIdleGrace.isNegative()) {
            throw new IllegalArgumentException("drain idle grace must not be negative, was " + drainIdleGrace);
        }
        positive("header timeout", headerTimeout);
        positive("body timeout", bodyTimeout);
        positive("idle timeout", idleTimeout);
        if (apiKey != null && apiKey.isBlank()) {
            apiKey = null;
        }
        if (modelRepository != null && !models.isEmpty()) {
            throw new IllegalStateException("give either --model (repeatable) or --model-repository, not both");
        }
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value.toMillis() + " ms");
        }
    }

    private static void atLeast(String name, Integer value, int min) {
        if (value != null && value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
        }
    }

    /** The tokenizer threads to start: the configured number, or one per core. */
    public int effectiveTokenizerThreads() {
        return tokenizerThreads > 0 ? tokenizerThreads : Runtime.getRuntime().availableProcessors();
    }

    /** What the service layers read of this configuration. */
    public ServiceSettings serviceSettings() {
        return new ServiceSettings(longText.mode(), longText.options(), effectiveTokenizerThreads(), cache.exclude());
    }

    /** Every setting by name, for the start-up log; the API key is shown only as set or not. */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("host", host);
        out.put("port", Integer.toString(port));
        out.put("models", models.isEmpty() ? (modelRepository == null ? "(embedded default)" : "-") : models.toString());
        out.put("model-repository", modelRepository == null ? "-" : modelRepository.toString());
        out.put("variant", orHint(variant));
        out.put("instances", orHint(instances));
        out.put("threads", orHint(threads));
        out.put("max-batch-size", orHint(maxBatchSize));
        out.put("max-batch-tokens", orHint(maxBatchTokens));
        out.put("pass-overhead-tokens", Integer.toString(passOverheadTokens));
        out.put("graph-optimization", graphOptimization == null ? "(peregrine.json or all)" : graphOptimization.name().toLowerCase());
        out.put("allow-spinning", orHint(allowSpinning));
        out.put("spin-between-passes", Boolean.toString(spinBetweenPasses));
        out.put("max-length", Integer.toString(maxLength));
        out.put("max-queue-delay", maxQueueDelay.toMillis() + " ms");
        out.put("max-queued-texts", Integer.toString(maxQueuedTexts));
        out.put("max-inputs", Integer.toString(maxInputs));
        out.put("max-body-bytes", Long.toString(maxBodyBytes));
        out.put("max-concurrent-requests", Integer.toString(maxConcurrentRequests));
        out.put("request-timeout", requestTimeout.toMillis() + " ms");
        out.put("tokenizer-threads", Integer.toString(effectiveTokenizerThreads()));
        out.put("long-text", longText.describe());
        out.put("api-key", apiKey == null ? "(none)" : "(set, redacted)");
        out.put("shutdown-timeout", shutdownTimeout.toMillis() + " ms");
        out.put("drain-idle-grace", drainIdleGrace.toMillis() + " ms");
        out.put("header-timeout", headerTimeout.toMillis() + " ms");
        out.put("body-timeout", bodyTimeout.toMillis() + " ms");
        out.put("idle-timeout", idleTimeout.toMillis() + " ms");
        out.put("cache", cache.describe() + (cache.mode() == CacheConfig.Mode.OFF ? "" : ", ttl " + cache.ttl().toSeconds()
                + " s, " + cache.maxEntries() + " entries / " + cache.maxBytes() + " bytes"
                + (cache.mode() == CacheConfig.Mode.REDIS ? ", redis timeout " + cache.redisTimeout().toMillis()
                        + " ms, prefix " + cache.redisPrefix() : "")
                + (cache.exclude().isEmpty() ? "" : ", excluded " + cache.exclude())));
        out.put("drift", drift.describe());
        out.put("served-model-name", servedModelName == null ? "-" : servedModelName);
        out.put("classify-format", classifyFormat.id());
        out.put("share-weights", Boolean.toString(shareWeights));
        out.put("graph-cache", graphCache == null ? "off" : graphCache.toString());
        out.put("tracing", tracing.describe());
        out.put("embeddings", embeddings.describe());
        return out;
    }

    private static String orHint(Object value) {
        return value == null ? "(peregrine.json or default)" : value.toString();
    }

    @Override
    public String toString() {
        return "ServeConfig" + describe();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Fills a {@link ServeConfig}; unset values keep their defaults. Not thread-safe. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private final List<ModelSpec> models = new ArrayList<>();
        private Path modelRepository;
        private String variant;
        private Integer instances;
        private Integer threads;
        private Integer maxBatchSize;
        private Integer maxBatchTokens;
        private int passOverheadTokens = DEFAULT_PASS_OVERHEAD_TOKENS;
        private GraphOptimization graphOptimization;
        private Boolean allowSpinning;
        private boolean spinBetweenPasses = DEFAULT_SPIN_BETWEEN_PASSES;
        private int maxLength;
        private Duration maxQueueDelay = Duration.ofMillis(Long.parseLong(DEFAULT_MAX_QUEUE_DELAY_MS));
        private int maxQueuedTexts = DEFAULT_MAX_QUEUED_TEXTS;
        private int maxInputs = DEFAULT_MAX_INPUTS;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
        private Duration requestTimeout = Duration.ofMillis(Long.parseLong(DEFAULT_REQUEST_TIMEOUT_MS));
        private int tokenizerThreads = DEFAULT_TOKENIZER_THREADS;
        private LongTextConfig longText = LongTextConfig.defaults();
        private String apiKey;
        private Duration shutdownTimeout = Duration.ofMillis(Long.parseLong(DEFAULT_SHUTDOWN_TIMEOUT_MS));
        private Duration drainIdleGrace = Duration.ofMillis(Long.parseLong(DEFAULT_DRAIN_IDLE_GRACE_MS));
        private Duration headerTimeout = Duration.ofMillis(Long.parseLong(DEFAULT_HEADER_TIMEOUT_MS));
        private Duration bodyTimeout = Duration.ofMillis(Long.parseLong(DEFAULT_BODY_TIMEOUT_MS));
        private Duration idleTimeout = Duration.ofMillis(Long.parseLong(DEFAULT_IDLE_TIMEOUT_MS));
        private CacheConfig cache = CacheConfig.defaults();
        private DriftConfig drift = DriftConfig.defaults();
        private String servedModelName;
        private ClassifyFormat classifyFormat = ClassifyFormat.parse(DEFAULT_CLASSIFY_FORMAT);
        private boolean shareWeights = DEFAULT_SHARE_WEIGHTS;
        private Path graphCache;
        private TracingConfig tracing = TracingConfig.disabled();
        private EmbeddingsConfig embeddings = EmbeddingsConfig.defaults();

        private Builder() {
        }

        public Builder host(String v) { this.host = v; return this; }
        public Builder port(int v) { this.port = v; return this; }
        public Builder model(ModelSpec v) { this.models.add(v); return this; }
        public Builder model(String name, String reference) { return model(new ModelSpec(name, reference)); }
        public Builder models(List<ModelSpec> v) { this.models.clear(); this.models.addAll(v); return this; }
        public Builder modelRepository(Path v) { this.modelRepository = v; return this; }
        public Builder variant(String v) { this.variant = v; return this; }
        public Builder instances(Integer v) { this.instances = v; return this; }
        public Builder threads(Integer v) { this.threads = v; return this; }
        public Builder maxBatchSize(Integer v) { this.maxBatchSize = v; return this; }
        public Builder maxBatchTokens(Integer v) { this.maxBatchTokens = v; return this; }
        public Builder passOverheadTokens(int v) { this.passOverheadTokens = v; return this; }
        public Builder graphOptimization(GraphOptimization v) { this.graphOptimization = v; return this; }
        public Builder allowSpinning(Boolean v) { this.allowSpinning = v; return this; }
        public Builder spinBetweenPasses(boolean v) { this.spinBetweenPasses = v; return this; }
        public Builder maxLength(int v) { this.maxLength = v; return this; }
        public Builder maxQueueDelay(Duration v) { this.maxQueueDelay = v; return this; }
        public Builder maxQueuedTexts(int v) { this.maxQueuedTexts = v; return this; }
        public Builder maxInputs(int v) { this.maxInputs = v; return this; }
        public Builder maxBodyBytes(long v) { this.maxBodyBytes = v; return this; }
        public Builder maxConcurrentRequests(int v) { this.maxConcurrentRequests = v; return this; }
        public Builder requestTimeout(Duration v) { this.requestTimeout = v; return this; }
        public Builder tokenizerThreads(int v) { this.tokenizerThreads = v; return this; }
        public Builder longText(LongTextConfig v) { this.longText = v; return this; }
        public Builder longText(dev.peregrine.core.engine.LongTextMode v) { this.longText = longText.withMode(v); return this; }
        public Builder apiKey(String v) { this.apiKey = v; return this; }
        public Builder shutdownTimeout(Duration v) { this.shutdownTimeout = v; return this; }
        public Builder drainIdleGrace(Duration v) { this.drainIdleGrace = v; return this; }
        public Builder headerTimeout(Duration v) { this.headerTimeout = v; return this; }
        public Builder bodyTimeout(Duration v) { this.bodyTimeout = v; return this; }
        public Builder idleTimeout(Duration v) { this.idleTimeout = v; return this; }
        public Builder cache(CacheConfig v) { this.cache = v; return this; }
        public Builder drift(DriftConfig v) { this.drift = v; return this; }
        public Builder servedModelName(String v) { this.servedModelName = v; return this; }
        public Builder classifyFormat(ClassifyFormat v) { this.classifyFormat = v; return this; }
        public Builder shareWeights(boolean v) { this.shareWeights = v; return this; }
        public Builder graphCache(Path v) { this.graphCache = v; return this; }
        public Builder tracing(TracingConfig v) { this.tracing = v; return this; }
        public Builder embeddings(EmbeddingsConfig v) { this.embeddings = v; return this; }

        /** @throws IllegalArgumentException when a value is out of range */
        public ServeConfig build() {
            return new ServeConfig(host, port, models, modelRepository, variant, instances, threads, maxBatchSize,
                    maxBatchTokens, passOverheadTokens, graphOptimization, allowSpinning, spinBetweenPasses, maxLength,
                    maxQueueDelay, maxQueuedTexts,
                    maxInputs, maxBodyBytes, maxConcurrentRequests, requestTimeout, tokenizerThreads, longText,
                    apiKey, shutdownTimeout, drainIdleGrace, headerTimeout, bodyTimeout, idleTimeout, cache, drift,
                    servedModelName, classifyFormat, shareWeights, graphCache, tracing, embeddings);
        }
    }
}
