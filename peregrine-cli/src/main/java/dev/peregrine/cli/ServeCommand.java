package dev.peregrine.cli;

import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.EmbeddingsConfig;
import dev.peregrine.server.LongTextConfig;
import dev.peregrine.server.ModelSpec;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TracingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peregrine serve}: every server option declared once, with its flag, environment variable
 * and default (the defaults are {@link ServeConfig}'s constants), assembled into a {@link ServeConfig}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve models over HTTP with dynamic batching: /embed, /predict, /tokenize, /decode, /embed_all and /similarity (text-embeddings-inference), "
                + "/v1/embeddings and /v1/models (OpenAI), /classify, /v2 (KServe), the probes /livez /readyz /startupz /health, "
                + "/info and /metrics (Prometheus).",
            "SIGTERM drains: readiness fails, every response closes its connection, accepted requests are answered "
                + "(503 with Retry-After past --shutdown-timeout), then exit."})
final class ServeCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "[NAME=]DIR|NAME", split = ",",
            defaultValue = "${env:PEREGRINE_MODELS}",
            description = "A model to serve (repeatable): folder, .onnx file, embedded name or pulled hub id, "
                    + "optionally NAME= to choose the name clients use. Default: the embedded "
                    + "all-minilm-l6-v2. Env: PEREGRINE_MODELS (comma-separated).")
    List<String> models = new ArrayList<>();

    @Option(names = "--served-model-name", paramLabel = "NAME", defaultValue = "${env:PEREGRINE_SERVED_MODEL_NAME}",
            description = "The name clients use for the one served model (as text-embeddings-inference's and "
                    + "vLLM's option); its own name still answers. Default: the model's name. "
                    + "Env: PEREGRINE_SERVED_MODEL_NAME.")
    String servedModelName;

    @Option(names = "--classify-format", paramLabel = "peregrine|seeds",
            defaultValue = "${env:PEREGRINE_CLASSIFY_FORMAT:-" + ServeConfig.DEFAULT_CLASSIFY_FORMAT + "}",
            description = "The shape of POST /classify: peregrine (labels with scores) or seeds (the seeds' FastAPI "
                    + "app: {\"predictions\": [\"billing\"], \"latency_ms\"}, at most 32 texts). "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_CLASSIFY_FORMAT.")
    String classifyFormat;

    @Option(names = "--model-repository", paramLabel = "DIR", defaultValue = "${env:PEREGRINE_MODEL_REPOSITORY}",
            description = "Serve every model folder under DIR, each under its sub-folder's name (as Triton's "
                    + "model repository). Env: PEREGRINE_MODEL_REPOSITORY.")
    Path modelRepository;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "${env:PEREGRINE_HOST:-" + ServeConfig.DEFAULT_HOST + "}",
            description = "Interface to listen on. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_HOST.")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            defaultValue = "${env:PEREGRINE_PORT:-" + ServeConfig.DEFAULT_PORT + "}",
            description = "Port to listen on (0 = any free one). Default: ${DEFAULT-VALUE}. Env: PEREGRINE_PORT.")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PEREGRINE_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on every route but the probes (/livez, /readyz, "
                    + "/startupz, /health, /v2/health/*) and /metrics (401 without it). Default: none. "
                    + "Env: PEREGRINE_API_KEY.")
    String apiKey;

    @Option(names = "--variant", paramLabel = "NAME", defaultValue = "${env:PEREGRINE_VARIANT}",
            description = "ONNX variant to load from each folder. Default: the folder's peregrine.json, else "
                    + "model.onnx. Env: PEREGRINE_VARIANT.")
    String variant;

    @Option(names = "--instances", paramLabel = "N", defaultValue = "${env:PEREGRINE_INSTANCES}",
            description = "Workers per model, running forward passes at once (on one shared ONNX Runtime session "
                    + "unless --no-share-weights). Default: peregrine.json, else " + ServeConfig.DEFAULT_INSTANCES
                    + ". Env: PEREGRINE_INSTANCES.")
    Integer instances;

    @Option(names = "--share-weights", negatable = true,
            defaultValue = "${env:PEREGRINE_SHARE_WEIGHTS:-" + ServeConfig.DEFAULT_SHARE_WEIGHTS + "}",
            fallbackValue = "true",
            description = "A model's instances share one ONNX Runtime session, so one copy of its weights in memory; "
                    + "--no-share-weights gives each instance its own session. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_SHARE_WEIGHTS.")
    boolean shareWeights;

    @Option(names = "--graph-cache", paramLabel = "DIR|auto|off", defaultValue = "${env:PEREGRINE_GRAPH_CACHE:-auto}",
            description = "Keep each model's graph as ONNX Runtime optimized it here, keyed by the model's content, "
                    + "optimization level, ONNX Runtime version and CPU, and load it from here next time without "
                    + "optimizing again; auto: optimized/ under PEREGRINE_HOME (~/.cache/peregrine); off: optimize "
                    + "on every start. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_GRAPH_CACHE.")
    String graphCache;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:PEREGRINE_THREADS}",
            description = "ONNX Runtime intra-op threads per worker. Default: peregrine.json, else cores / instances. "
                    + "Env: PEREGRINE_THREADS.")
    Integer threads;

    @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "${env:PEREGRINE_MAX_BATCH_SIZE}",
            description = "Most texts per forward pass. Default: peregrine.json, else "
                    + ServeConfig.DEFAULT_MAX_BATCH_SIZE + ". Env: PEREGRINE_MAX_BATCH_SIZE.")
    Integer maxBatchSize;

    @Option(names = "--max-batch-tokens", paramLabel = "N", defaultValue = "${env:PEREGRINE_MAX_BATCH_TOKENS}",
            description = "Most padded tokens (texts x longest) per pass. Default: peregrine.json, else "
                    + ServeConfig.DEFAULT_MAX_BATCH_TOKENS + ". Env: PEREGRINE_MAX_BATCH_TOKENS.")
    Integer maxBatchTokens;

    @Option(names = "--pass-overhead-tokens", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_PASS_OVERHEAD_TOKENS:-" + ServeConfig.DEFAULT_PASS_OVERHEAD_TOKENS + "}",
            description = "The fixed cost of one forward pass in padded tokens, against which the batcher weighs "
                    + "padding a text to longer companions: lower means less padding and more, smaller passes "
                    + "(docs/serving.md has measurements). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_PASS_OVERHEAD_TOKENS.")
    int passOverheadTokens;

    @Option(names = "--max-queue-delay", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_MAX_QUEUE_DELAY_MS:-" + ServeConfig.DEFAULT_MAX_QUEUE_DELAY_MS + "}",
            description = "Longest a text waits for batch companions while a worker is free, in ms; 0 starts a "
                    + "batch as soon as a worker is free (batches still grow with load). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_QUEUE_DELAY_MS.")
    long maxQueueDelayMs;

    @Option(names = "--max-queued-texts", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_QUEUED_TEXTS:-" + ServeConfig.DEFAULT_MAX_QUEUED_TEXTS + "}",
            description = "Per model, most texts admitted and not yet answered; beyond it requests get 429 at once. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_QUEUED_TEXTS.")
    int maxQueuedTexts;

    @Option(names = "--max-inputs", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_INPUTS:-" + ServeConfig.DEFAULT_MAX_INPUTS + "}",
            description = "Most texts in one request (422 beyond). Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_INPUTS.")
    int maxInputs;

    @Option(names = {"--max-body-bytes", "--payload-limit"}, paramLabel = "BYTES",
            defaultValue = "${env:PEREGRINE_MAX_BODY_BYTES:-" + ServeConfig.DEFAULT_MAX_BODY_BYTES + "}",
            description = "Largest request body (413 beyond); --payload-limit is text-embeddings-inference's name for it. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_BODY_BYTES.")
    long maxBodyBytes;

    @Option(names = "--max-concurrent-requests", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_CONCURRENT_REQUESTS:-" + ServeConfig.DEFAULT_MAX_CONCURRENT_REQUESTS + "}",
            description = "Most requests in progress at once (429 beyond). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_CONCURRENT_REQUESTS.")
    int maxConcurrentRequests;

    @Option(names = "--request-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_REQUEST_TIMEOUT_MS:-" + ServeConfig.DEFAULT_REQUEST_TIMEOUT_MS + "}",
            description = "A request not answered by then gets 504 and leaves the queue, in ms. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_REQUEST_TIMEOUT_MS.")
    long requestTimeoutMs;

    @Option(names = "--tokenizer-threads", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_TOKENIZER_THREADS:-" + ServeConfig.DEFAULT_TOKENIZER_THREADS + "}",
            description = "Threads that parse, tokenize and render responses (0 = one per core). "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_TOKENIZER_THREADS.")
    int tokenizerThreads;

    @Option(names = "--long-text", paramLabel = "truncate|chunk|reject", defaultValue = "${env:PEREGRINE_LONG_TEXT}",
            description = "What happens to a text longer than the model's limit when a request does not say "
                    + "(long_text, or truncate): reject (422 naming the limit), truncate (only its first tokens count), "
                    + "or chunk (split into overlapping windows that are batched like any texts and pooled: "
                    + "token-weighted mean of embeddings, mean of logits for classifiers). Default: "
                    + LongTextConfig.DEFAULT_MODE + ". Env: PEREGRINE_LONG_TEXT.")
    String longText;

    @Option(names = "--long-text-overlap", paramLabel = "TOKENS",
            defaultValue = "${env:PEREGRINE_LONG_TEXT_OVERLAP:-" + LongTextConfig.DEFAULT_OVERLAP + "}",
            description = "Tokens neighbouring windows share when a text is split (at most half a window is used). "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_LONG_TEXT_OVERLAP.")
    int longTextOverlap;

    @Option(names = "--long-text-max-chars", paramLabel = "CHARS",
            defaultValue = "${env:PEREGRINE_LONG_TEXT_MAX_CHARS:-" + LongTextConfig.DEFAULT_MAX_CHARS + "}",
            description = "Longest text that is split into windows, in characters; a longer one gets 422 before it is "
                    + "tokenized. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_LONG_TEXT_MAX_CHARS.")
    int longTextMaxChars;

    @Option(names = "--auto-truncate", negatable = true, hidden = true, defaultValue = "${env:PEREGRINE_AUTO_TRUNCATE}",
            fallbackValue = "true",
            description = "Deprecated: --long-text truncate (--no-auto-truncate: --long-text reject); --long-text wins. "
                    + "Env: PEREGRINE_AUTO_TRUNCATE.")
    Boolean autoTruncate;

    @Option(names = "--graph-optimization", paramLabel = "LEVEL", defaultValue = "${env:PEREGRINE_GRAPH_OPTIMIZATION}",
            description = "ONNX Runtime graph optimization: ${COMPLETION-CANDIDATES}. Default: peregrine.json, else all. "
                    + "Env: PEREGRINE_GRAPH_OPTIMIZATION.")
    GraphOptimization graphOptimization;

    @Option(names = "--allow-spinning", paramLabel = "BOOL", defaultValue = "${env:PEREGRINE_ALLOW_SPINNING}",
            description = "Let idle ONNX Runtime threads spin (true/false). Default: peregrine.json, else ONNX "
                    + "Runtime's. Env: PEREGRINE_ALLOW_SPINNING.")
    Boolean allowSpinning;

    @Option(names = "--spin-between-passes", negatable = true,
            defaultValue = "${env:PEREGRINE_SPIN_BETWEEN_PASSES:-" + ServeConfig.DEFAULT_SPIN_BETWEEN_PASSES + "}",
            fallbackValue = "true",
            description = "Let ONNX Runtime's spinning threads go on spinning after a forward pass ends (its default). "
                    + "Off, they stop as the pass returns (they still spin within one), leaving the cores to the "
                    + "threads that parse, tokenize and answer requests. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_SPIN_BETWEEN_PASSES.")
    boolean spinBetweenPasses;

    @Option(names = "--max-length", paramLabel = "TOKENS", defaultValue = "${env:PEREGRINE_MAX_LENGTH:-0}",
            description = "Truncate texts to this many tokens; 0 = the model's own limit. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_LENGTH.")
    int maxLength;

    @Option(names = "--shutdown-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_SHUTDOWN_TIMEOUT_MS:-" + ServeConfig.DEFAULT_SHUTDOWN_TIMEOUT_MS + "}",
            description = "Longest a graceful stop waits for accepted requests, in ms. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_SHUTDOWN_TIMEOUT_MS.")
    long shutdownTimeoutMs;

    @Option(names = "--drain-idle-grace", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_DRAIN_IDLE_GRACE_MS:-" + ServeConfig.DEFAULT_DRAIN_IDLE_GRACE_MS + "}",
            description = "During a graceful stop, how long idle keep-alive connections (and the listener) stay open, "
                    + "in ms, so that a client answered just before the stop gets its next request answered with "
                    + "Connection: close instead of its connection closed under it. Ends early once no connection "
                    + "is left. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_DRAIN_IDLE_GRACE_MS.")
    long drainIdleGraceMs;

    @Option(names = "--header-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_HEADER_TIMEOUT_MS:-" + ServeConfig.DEFAULT_HEADER_TIMEOUT_MS + "}",
            description = "Longest a client may take to send a request's headers, from their first byte (from the "
                    + "connection's opening for its first request), in ms; then 408 and the connection closes. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_HEADER_TIMEOUT_MS.")
    long headerTimeoutMs;

    @Option(names = "--body-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_BODY_TIMEOUT_MS:-" + ServeConfig.DEFAULT_BODY_TIMEOUT_MS + "}",
            description = "Longest a client may take to send a request's body once its headers have arrived, in ms; "
                    + "then 408 and the connection closes. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_BODY_TIMEOUT_MS.")
    long bodyTimeoutMs;

    @Option(names = "--idle-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_IDLE_TIMEOUT_MS:-" + ServeConfig.DEFAULT_IDLE_TIMEOUT_MS + "}",
            description = "Longest a keep-alive connection stays open between requests, in ms. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_IDLE_TIMEOUT_MS.")
    long idleTimeoutMs;

    // ---- prediction cache -------------------------------------------------------------------

    @Option(names = "--cache", paramLabel = "off|memory|redis://HOST:PORT[/DB]",
            defaultValue = "${env:PEREGRINE_CACHE:-" + CacheConfig.DEFAULT_CACHE + "}",
            description = "Prediction cache: off, memory (in-process), or a Redis URI (in-process, then Redis shared "
                    + "by replicas; rediss:// for TLS, redis://:PASSWORD@host:port). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_CACHE.")
    String cache;

    @Option(names = "--cache-ttl", paramLabel = "SECONDS",
            defaultValue = "${env:PEREGRINE_CACHE_TTL_SECONDS:-" + CacheConfig.DEFAULT_TTL_SECONDS + "}",
            description = "How long a cached prediction lives. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_CACHE_TTL_SECONDS.")
    long cacheTtlSeconds;

    @Option(names = "--cache-max-entries", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_CACHE_MAX_ENTRIES:-" + CacheConfig.DEFAULT_MAX_ENTRIES + "}",
            description = "Most predictions kept in memory. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_CACHE_MAX_ENTRIES.")
    long cacheMaxEntries;

    @Option(names = "--cache-max-bytes", paramLabel = "BYTES",
            defaultValue = "${env:PEREGRINE_CACHE_MAX_BYTES:-" + CacheConfig.DEFAULT_MAX_BYTES + "}",
            description = "Most bytes of predictions kept in memory. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_CACHE_MAX_BYTES.")
    long cacheMaxBytes;

    @Option(names = "--cache-redis-prefix", paramLabel = "PREFIX",
            defaultValue = "${env:PEREGRINE_CACHE_REDIS_PREFIX:-" + CacheConfig.DEFAULT_REDIS_PREFIX + "}",
            description = "Prefix of every Redis key. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_CACHE_REDIS_PREFIX.")
    String cacheRedisPrefix;

    @Option(names = "--cache-redis-timeout", paramLabel = "MS",
            defaultValue = "${env:PEREGRINE_CACHE_REDIS_TIMEOUT_MS:-" + CacheConfig.DEFAULT_REDIS_TIMEOUT_MS + "}",
            description = "Longest a request waits for Redis before asking the model, in ms. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_CACHE_REDIS_TIMEOUT_MS.")
    long cacheRedisTimeoutMs;

    @Option(names = "--cache-exclude", paramLabel = "MODEL", split = ",",
            defaultValue = "${env:PEREGRINE_CACHE_EXCLUDE}",
            description = "Models that never use the cache (repeatable or comma-separated). A request opts out with "
                    + "the header Cache-Control: no-cache. Env: PEREGRINE_CACHE_EXCLUDE.")
    List<String> cacheExclude = new ArrayList<>();

    // ---- drift monitoring -----------------------------------------------------------------

    @Option(names = "--drift", negatable = true, defaultValue = "${env:PEREGRINE_DRIFT:-true}", fallbackValue = "true",
            description = "Watch every model for drift (GET /drift, peregrine_drift_* metrics). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_DRIFT.")
    boolean drift;

    @Option(names = "--drift-reference", paramLabel = "[MODEL=]FILE", split = ",",
            defaultValue = "${env:PEREGRINE_DRIFT_REFERENCE}",
            description = "A reference from 'peregrine drift-reference' (repeatable; without MODEL= it is the first "
                    + "model's). Without one, the first --drift-warmup predictions become the reference. "
                    + "Env: PEREGRINE_DRIFT_REFERENCE.")
    List<String> driftReferences = new ArrayList<>();

    @Option(names = "--drift-warmup", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_DRIFT_WARMUP:-" + DriftConfig.DEFAULT_WARMUP + "}",
            description = "Predictions that become the reference when no file is given. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_DRIFT_WARMUP.")
    int driftWarmup;

    @Option(names = "--drift-window", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_DRIFT_WINDOW:-" + DriftConfig.DEFAULT_WINDOW + "}",
            description = "Predictions in the judged window. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_DRIFT_WINDOW.")
    int driftWindow;

    @Option(names = "--drift-long-window", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_DRIFT_LONG_WINDOW:-" + DriftConfig.DEFAULT_LONG_WINDOW + "}",
            description = "Predictions in the reported long window. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_DRIFT_LONG_WINDOW.")
    int driftLongWindow;

    @Option(names = "--prediction-log", paramLabel = "DIR", defaultValue = "${env:PEREGRINE_PREDICTION_LOG}",
            description = "Write a sampled, rotated JSONL log of predictions here (one file per model). "
                    + "Env: PEREGRINE_PREDICTION_LOG.")
    Path predictionLog;

    @Option(names = "--prediction-log-sample", paramLabel = "SHARE",
            defaultValue = "${env:PEREGRINE_PREDICTION_LOG_SAMPLE:-" + DriftConfig.DEFAULT_LOG_SAMPLE + "}",
            description = "Share of predictions logged. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_PREDICTION_LOG_SAMPLE.")
    double predictionLogSample;

    @Option(names = "--log-text", defaultValue = "${env:PEREGRINE_LOG_TEXT:-false}",
            description = "Write texts in clear in the prediction log (default: SHA-256 hashes). Env: PEREGRINE_LOG_TEXT.")
    boolean logText;

    // ---- tracing and logs ------------------------------------------------------------------

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            defaultValue = "${env:PEREGRINE_OTLP_ENDPOINT:-${env:OTEL_EXPORTER_OTLP_ENDPOINT}}",
            description = "Send OpenTelemetry traces (a span per request, with tokenize, cache, queue, inference and "
                    + "serialize spans) over OTLP http/protobuf to this collector, e.g. http://localhost:4318 "
                    + "(/v1/traces is added to a URL without a path). Default: off. "
                    + "Env: PEREGRINE_OTLP_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT.")
    String otlpEndpoint;

    @Option(names = "--service-name", paramLabel = "NAME",
            defaultValue = "${env:PEREGRINE_SERVICE_NAME:-${env:OTEL_SERVICE_NAME:-" + TracingConfig.DEFAULT_SERVICE_NAME + "}}",
            description = "The service.name of the spans. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_SERVICE_NAME, else OTEL_SERVICE_NAME.")
    String serviceName;

    @Option(names = "--trace-sample-ratio", paramLabel = "SHARE",
            defaultValue = "${env:PEREGRINE_TRACE_SAMPLE_RATIO:-" + TracingConfig.DEFAULT_SAMPLE_RATIO + "}",
            description = "Share of new traces recorded (0..1); a request with a traceparent follows its caller's "
                    + "decision. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_TRACE_SAMPLE_RATIO.")
    double traceSampleRatio;

    @Option(names = "--access-log", negatable = true, defaultValue = "${env:PEREGRINE_ACCESS_LOG:-false}",
            fallbackValue = "true",
            description = "Log one line per answered request (method, route, status, model, texts, ms), with its "
                    + "trace id when traced. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_ACCESS_LOG.")
    boolean accessLog;

    @Option(names = "--json-logs", negatable = true, defaultValue = "${env:PEREGRINE_JSON_LOGS:-false}",
            fallbackValue = "true",
            description = "Write log lines as one JSON object per line on stderr (timestamp, level, logger, message, "
                    + "trace_id and span_id inside a request's span, key-value fields). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_JSON_LOGS.")
    boolean jsonLogs;

    @Option(names = "--default-prompt-name", paramLabel = "NAME", defaultValue = "${env:PEREGRINE_DEFAULT_PROMPT_NAME}",
            description = "A prompt every served embedder declares (config_sentence_transformers.json \"prompts\", e.g. "
                    + "query), put before texts whose request names no prompt_name. Default: the model's own "
                    + "default_prompt_name, else none. Env: PEREGRINE_DEFAULT_PROMPT_NAME.")
    String defaultPromptName;

    @Option(names = "--default-prompt", paramLabel = "TEXT", defaultValue = "${env:PEREGRINE_DEFAULT_PROMPT}",
            description = "Text put before every embedded text whose request names no prompt_name (exclusive with "
                    + "--default-prompt-name). Default: none. Env: PEREGRINE_DEFAULT_PROMPT.")
    String defaultPrompt;

    @Option(names = "--matryoshka", paramLabel = "NAME", split = ",", defaultValue = "${env:PEREGRINE_MATRYOSHKA}",
            description = "Served embedders (repeatable) trained for shorter embeddings (Matryoshka) though their folder "
                    + "does not declare matryoshka_dims: requests may ask them for fewer 'dimensions'. "
                    + "Env: PEREGRINE_MATRYOSHKA (comma-separated).")
    List<String> matryoshka = new ArrayList<>();

    @Option(names = "--allow-any-dimensions", defaultValue = "${env:PEREGRINE_ALLOW_ANY_DIMENSIONS:-false}",
            description = "Cut any embedder's vectors to the 'dimensions' a request asks for (then renormalize), "
                    + "trained for it or not (default: only Matryoshka models; others answer 400). "
                    + "Env: PEREGRINE_ALLOW_ANY_DIMENSIONS.")
    boolean allowAnyDimensions;

    /** The configuration these options describe. */
    ServeConfig config() {
        List<ModelSpec> specs = new ArrayList<>();
        for (String m : models) {
            if (m != null && !m.isBlank()) {
                specs.add(ModelSpec.parse(m));
            }
        }
        return new ServeConfig(host, port, specs, modelRepository, variant, instances, threads, maxBatchSize,
                maxBatchTokens, passOverheadTokens, graphOptimization, allowSpinning, spinBetweenPasses, maxLength,
                Duration.ofMillis(maxQueueDelayMs),
                maxQueuedTexts, maxInputs, maxBodyBytes, maxConcurrentRequests, Duration.ofMillis(requestTimeoutMs),
                tokenizerThreads, longTextConfig(), apiKey, Duration.ofMillis(shutdownTimeoutMs),
                Duration.ofMillis(drainIdleGraceMs),
                Duration.ofMillis(headerTimeoutMs), Duration.ofMillis(bodyTimeoutMs), Duration.ofMillis(idleTimeoutMs),
                CacheConfig.parse(cache, Duration.ofSeconds(cacheTtlSeconds), cacheMaxEntries, cacheMaxBytes,
                        cacheRedisPrefix, Duration.ofMillis(cacheRedisTimeoutMs), nonBlank(cacheExclude)),
                new DriftConfig(drift, DriftConfig.references(nonBlank(driftReferences)), driftWarmup, driftWindow,
                        driftLongWindow, predictionLog, predictionLogSample, DriftConfig.DEFAULT_LOG_MAX_BYTES,
                        DriftConfig.DEFAULT_LOG_KEEP, logText),
                servedModelName, ServeConfig.ClassifyFormat.parse(classifyFormat), shareWeights,
                graphCacheFolder(graphCache, dev.peregrine.core.model.PeregrineHome.fromEnvironment()),
                TracingConfig.parse(otlpEndpoint, serviceName, traceSampleRatio, accessLog),
                new EmbeddingsConfig(defaultPromptName, defaultPrompt, nonBlank(matryoshka), allowAnyDimensions));
    }

    /** {@code --graph-cache}: auto is {@code optimized/} under the model home, off is none. */
    static Path graphCacheFolder(String value, dev.peregrine.core.model.PeregrineHome home) {
        String v = value == null ? "auto" : value.trim();
        if (v.isEmpty() || v.equalsIgnoreCase("auto")) {
            return home.root().resolve("optimized");
        }
        if (v.equalsIgnoreCase("off")) {
            return null;
        }
        return Path.of(v);
    }

    /** --long-text, else the deprecated --auto-truncate, else the default. */
    private LongTextConfig longTextConfig() {
        String mode = longText != null && !longText.isBlank() ? longText
                : autoTruncate != null ? LongTextMode.ofTruncate(autoTruncate).id() : LongTextConfig.DEFAULT_MODE;
        LongTextMode parsed;
        try {
            parsed = LongTextMode.parse(mode);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--long-text must be truncate, chunk or reject, was '" + mode + "'");
        }
        return new LongTextConfig(parsed, longTextOverlap, longTextMaxChars);
    }

    private static java.util.Set<String> nonBlank(List<String> values) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        if (values != null) {
            for (String v : values) {
                if (v != null && !v.isBlank()) {
                    out.add(v.trim());
                }
            }
        }
        return out;
    }

    @Override
    public Integer call() throws InterruptedException {
        dev.peregrine.server.startup.StartupReport.commandStarted();
        if (jsonLogs) {
            JsonLogs.install();
        }
        ServeConfig config;
        try {
            config = config();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        PeregrineServer server = PeregrineServer.start(config, ModelResolver.standard());
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "peregrine-shutdown"));
        server.awaitStop();
        return ExitCode.OK.code();
    }
}
