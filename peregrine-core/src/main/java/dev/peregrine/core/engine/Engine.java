package dev.peregrine.core.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.model.EmbeddingConfig;
import dev.peregrine.core.model.ModelConfig;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.Pooling;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TextTokenizer;
import dev.peregrine.core.tokenize.WindowedText;
import dev.peregrine.core.tokenize.TruncationDirection;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * One transformer text model on ONNX Runtime: tokenization, length-sorted batching, the forward
 * pass and post-processing (pooling, normalization, softmax).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Thread-safe: any number of threads may call any method at once. ONNX Runtime runs the
 *       concurrent passes on one session; each thread uses its own scratch memory.</li>
 *   <li>Results always come back in the order of the texts given, whatever batching happened.</li>
 *   <li>A text's result does not depend on its batch companions (padding is masked) beyond float
 *       rounding (well under 1e-5).</li>
 *   <li>Closing waits for passes in flight, then frees the native session; later calls fail with
 *       {@link IllegalStateException}.</li>
 * </ul>
 *
 * <h2>Why it is shaped this way</h2>
 * Inputs are written into direct, native-order buffers that ONNX Runtime reads in place, and the
 * output is written by ONNX Runtime straight into such a buffer (a "pinned" output), so no tensor
 * is copied on the Java side. Pooling reads the token vectors it needs from that buffer. The first
 * pass runs at {@link #open} so that a broken model fails at load time, not at the first request.
 */
public final class Engine implements AutoCloseable {

    /** The names the graph's output is recognized by, in order of preference. */
    private static final List<String> SENTENCE_OUTPUTS = List.of("sentence_embedding", "sentence_embeddings",
            "text_embeds", "embeddings");
    private static final List<String> TOKEN_OUTPUTS = List.of("last_hidden_state", "token_embeddings",
            "hidden_states", "output_0");

    private enum InputRole { INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, POSITION_IDS }

    private enum OutputKind { LOGITS, SENTENCE_EMBEDDING, TOKEN_EMBEDDINGS }

    private record InputBinding(String name, InputRole role, boolean int32) {
    }

    private final String name;
    private final ModelInfo info;
    private final EngineOptions options;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final TextTokenizer tokenizer;
    private final List<InputBinding> bindings;
    private final OutputKind outputKind;
    private final String outputName;
    private final int fixedSequenceLength;
    private final int maxBatchSize;
    private final Pooling pooling;
    private final List<String> labels;
    private final boolean multiLabel;
    private final int dimension;
    private final ThreadLocal<InputArena> arenas = ThreadLocal.withInitial(InputArena::new);
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final LoadReport loadReport;
    private boolean closed;

    /** Whether the graph came from an {@link OptimizedModelCache}. */
    public enum GraphCache {
        /** No cache was configured (or the graph is loaded without optimization anyway). */
        OFF,
        /** The optimized graph was found in the cache and loaded with optimizations off. */
        HIT,
        /** The graph was optimized now and written to the cache for the next load. */
        WRITTEN,
        /** A cache was configured but could not be read or written; the graph was optimized now. */
        UNAVAILABLE
    }

    /**
     * Where the time of {@link #open} went, for start-up reports.
     *
     * @param runtimeNanos getting ONNX Runtime's environment: on the process's first engine, extracting
     *                     and loading its native libraries
     * @param tokenizerNanos loading the tokenizer (on the process's first, its native library too), on a
     *                     thread of its own while ONNX Runtime loads and creates the session
     * @param sessionNanos creating the ONNX Runtime session: reading the graph, optimizing it (unless
     *                     the cache had it) and preparing its kernels
     * @param warmUpNanos  the first forward pass
     * @param graphCache   what the optimized-graph cache did
     */
    public record LoadReport(long runtimeNanos, long tokenizerNanos, long sessionNanos, long warmUpNanos,
                             GraphCache graphCache) {
        public LoadReport {
            java.util.Objects.requireNonNull(graphCache, "graphCache");
        }
    }

    private record SessionLoad(OrtSession session, GraphCache cache) {
    }

    private Engine(ModelFolder folder, EngineOptions options, OrtEnvironment environment, OrtSession session,
                   TextTokenizer tokenizer, List<InputBinding> bindings, OutputKind outputKind, String outputName,
                   int fixedSequenceLength, int maxLength, List<TensorSpec> inputSpecs,
                   List<TensorSpec> outputSpecs, Map<String, String> metadata, int declaredDimension,
                   long runtimeNanos, long tokenizerNanos, long sessionNanos, GraphCache graphCache) {
        this.name = folder.name();
        this.options = options;
        this.environment = environment;
        this.session = session;
        this.tokenizer = tokenizer;
        this.bindings = bindings;
        this.outputKind = outputKind;
        this.outputName = outputName;
        this.fixedSequenceLength = fixedSequenceLength;
        this.maxBatchSize = options.maxBatchSize();
        ModelConfig config = folder.config();
        this.pooling = outputKind == OutputKind.TOKEN_EMBEDDINGS
                ? (options.pooling() != null ? options.pooling() : config.pooling())
                : null;
        this.multiLabel = config.multiLabel();

        // The warm-up pass tells the output width when the graph leaves it symbolic.
        long warmUpStart = System.nanoTime();
        int width = declaredDimension > 0 ? declaredDimension : probeDimension();
        this.dimension = width;
        if (outputKind == OutputKind.LOGITS) {
            List<String> configured = config.labels();
            if (configured.isEmpty()) {
                List<String> generated = new ArrayList<>(width);
                for (int i = 0; i < width; i++) {
                    generated.add("LABEL_" + i);
                }
                this.labels = List.copyOf(generated);
            } else if (configured.size() != width) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID, "config.json of " + folder.root()
                        + " names " + configured.size() + " labels but the graph outputs " + width + " logits");
            } else {
                this.labels = configured;
            }
        } else {
            this.labels = List.of();
        }
        Task task = outputKind == OutputKind.LOGITS ? Task.CLASSIFICATION : Task.EMBEDDING;
        List<String> warnings = LoadWarnings.of(folder.name(), metadata, CpuFeatures.detect());
        LoadWarnings.logOnce(folder.onnxFile().toAbsolutePath().toString(), warnings);
        this.info = new ModelInfo(folder.name(), task, folder.root(), folder.onnxFile(), folder.variant(),
                onnxSize(folder.onnxFile()), inputSpecs, outputSpecs, outputName, labels, maxLength, width,
                pooling, task == Task.EMBEDDING && config.normalize(), multiLabel, environment.getVersion(), metadata,
                warnings, task == Task.EMBEDDING ? EmbeddingConfig.read(folder.root()) : EmbeddingConfig.NONE);
        if (declaredDimension > 0) {
            warmUp();
        }
        this.loadReport = new LoadReport(runtimeNanos, tokenizerNanos, sessionNanos, System.nanoTime() - warmUpStart,
                graphCache);
    }

    /**
     * Loads a model folder and runs one warm-up pass.
     *
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when the ONNX file is corrupt, its
     *                            inputs or outputs are not those of a text model, or the tokenizer is broken
     */
    public static Engine open(ModelFolder folder, EngineOptions options) {
        return open(folder, options, null);
    }

    /**
     * Loads a model folder with ONNX Runtime's profiler on: every operator of every pass, the
     * warm-up pass included, is recorded until {@link #endProfiling()} writes the Chrome-trace JSON
     * file. Profiling slows passes slightly; use it to see where time goes, not to time.
     *
     * @param profilePrefix ONNX Runtime adds a timestamp and {@code .json} to it
     */
    public static Engine openProfiled(ModelFolder folder, EngineOptions options, Path profilePrefix) {
        return open(folder, options, Objects.requireNonNull(profilePrefix, "profilePrefix"));
    }

    private static Engine open(ModelFolder folder, EngineOptions options, Path profilePrefix) {
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(options, "options");
        // The tokenizer loads (its file parsed, on the process's first its native library loaded) on a
        // thread of its own while ONNX Runtime loads and builds the session: neither needs the other,
        // and they ran one after the other (StartupBenchmark's breakdowns: tokenizer 0.29-0.35 s,
        // runtime and session 0.40-0.50 s). It is loaded with the configured length; a graph with a
        // fixed, shorter sequence length (rare) reloads it.
        int configuredLength = folder.config().maxLength();
        if (options.maxLength() > 0) {
            configuredLength = Math.min(configuredLength, options.maxLength());
        }
        TokenizerLoad tokenizing = TokenizerLoad.start(folder.tokenizerFile(), configuredLength);
        long runtimeStart = System.nanoTime();
        OrtSession session;
        long runtimeNanos;
        long sessionNanos;
        SessionLoad loaded;
        OrtEnvironment environment;
        try {
            environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "peregrine");
            long t0 = System.nanoTime();
            runtimeNanos = t0 - runtimeStart;
            loaded = createSession(environment, folder.onnxFile(), options, profilePrefix);
            session = loaded.session();
            sessionNanos = System.nanoTime() - t0;
        } catch (RuntimeException | Error e) {
            tokenizing.discard();
            throw e;
        }
        TextTokenizer tokenizer = null;
        try {
            Map<String, NodeInfo> inputInfo = session.getInputInfo();
            Map<String, NodeInfo> outputInfo = session.getOutputInfo();
            List<InputBinding> bindings = bindInputs(folder, inputInfo);
            String outputName = chooseOutput(folder, outputInfo);
            TensorInfo out = (TensorInfo) outputInfo.get(outputName).getInfo();
            OutputKind kind = outputKind(outputName, out, folder.config());

            long[] idsShape = ((TensorInfo) inputInfo.get(inputName(bindings, InputRole.INPUT_IDS)).getInfo()).getShape();
            int fixedSeq = idsShape.length == 2 && idsShape[1] > 0 ? (int) idsShape[1] : 0;
            int fixedBatch = idsShape.length == 2 && idsShape[0] > 0 ? (int) idsShape[0] : 0;
            if (fixedBatch > 1) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile()
                        + " has a fixed batch size of " + fixedBatch + "; export it with a dynamic batch axis");
            }
            EngineOptions effective = fixedBatch == 1 ? options.toBuilder().maxBatchSize(1).build() : options;

            int maxLength = configuredLength;
            if (fixedSeq > 0) {
                maxLength = Math.min(maxLength, fixedSeq);
            }
            tokenizer = tokenizing.join();
            long tokenizerNanos = tokenizing.nanos();
            if (tokenizer.maxLength() != maxLength) {
                TextTokenizer configured = tokenizer;
                tokenizer = null;
                configured.close();
                long tokenizerStart = System.nanoTime();
                tokenizer = TextTokenizer.load(folder.tokenizerFile(), maxLength);
                tokenizerNanos += System.nanoTime() - tokenizerStart;
            }

            long[] outShape = out.getShape();
            int declaredDimension = outShape.length > 0 && outShape[outShape.length - 1] > 0
                    ? (int) outShape[outShape.length - 1] : 0;
            Map<String, String> metadata = session.getMetadata().getCustomMetadata();
            return new Engine(folder, effective, environment, session, tokenizer, bindings, kind, outputName,
                    fixedSeq, maxLength, specs(inputInfo), specs(outputInfo), metadata, declaredDimension,
                    runtimeNanos, tokenizerNanos, sessionNanos, loaded.cache());
        } catch (OrtException e) {
            tokenizing.discard();
            closeQuietly(session, tokenizer);
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    "cannot read the graph of " + folder.onnxFile() + ": " + firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            tokenizing.discard();
            closeQuietly(session, tokenizer);
            throw e;
        }
    }

    /** A tokenizer being loaded on a thread of its own (see {@link #open}). */
    private static final class TokenizerLoad {
        private final java.util.concurrent.CompletableFuture<TextTokenizer> future;
        private volatile long nanos;
        private boolean joined;

        private TokenizerLoad(Path file, int maxLength) {
            this.future = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                TextTokenizer t = TextTokenizer.load(file, maxLength);
                nanos = System.nanoTime() - t0;
                return t;
            }, task -> {
                Thread t = new Thread(task, "peregrine-tokenizer-load");
                t.setDaemon(true);
                t.start();
            });
        }

        static TokenizerLoad start(Path file, int maxLength) {
            return new TokenizerLoad(file, maxLength);
        }

        /** The tokenizer, once loaded; its own failure as thrown by {@link TextTokenizer#load}. */
        TextTokenizer join() {
            try {
                TextTokenizer t = future.join();
                joined = true;
                return t;
            } catch (java.util.concurrent.CompletionException e) {
                joined = true;
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }

        long nanos() {
            return nanos;
        }

        /** The engine is not built after all: the tokenizer is closed once loaded, unless a caller already has it. */
        void discard() {
            if (!joined) {
                future.thenAccept(TextTokenizer::close);
            }
        }
    }

    /** Loads with {@link EngineOptions#defaults()}. */
    public static Engine open(ModelFolder folder) {
        return open(folder, EngineOptions.defaults());
    }

    /**
     * A session for the model, through the optimized-graph cache when one is configured: a cached
     * graph loads with optimizations off; otherwise ONNX Runtime optimizes and writes its result into
     * the cache. A cache that fails in any way only costs the optimization, never the load.
     */
    private static SessionLoad createSession(OrtEnvironment environment, Path onnxFile, EngineOptions options,
                                             Path profilePrefix) {
        GraphOptimization level = options.graphOptimization();
        if (options.optimizedModelCache() == null || level == GraphOptimization.NONE) {
            return new SessionLoad(createSession(environment, onnxFile, onnxFile, options, level, profilePrefix, null),
                    GraphCache.OFF);
        }
        OptimizedModelCache cache = new OptimizedModelCache(options.optimizedModelCache());
        java.util.Optional<String> key = cache.key(onnxFile, level, environment.getVersion(), CpuFeatures.detect().isa());
        if (key.isEmpty()) {
            return new SessionLoad(createSession(environment, onnxFile, onnxFile, options, level, profilePrefix, null),
                    GraphCache.UNAVAILABLE);
        }
        java.util.Optional<Path> hit = cache.lookup(key.get());
        if (hit.isPresent()) {
            try {
                return new SessionLoad(createSession(environment, hit.get(), onnxFile, options, GraphOptimization.NONE,
                        profilePrefix, null), GraphCache.HIT);
            } catch (PeregrineException e) {
                // A damaged entry (a disk that filled up mid-write): drop it and optimize again.
                cache.evict(key.get());
            }
        }
        Path staging;
        try {
            staging = cache.stage();
        } catch (IOException e) {
            return new SessionLoad(createSession(environment, onnxFile, onnxFile, options, level, profilePrefix, null),
                    GraphCache.UNAVAILABLE);
        }
        OrtSession session;
        try {
            session = createSession(environment, onnxFile, onnxFile, options, level, profilePrefix,
                    staging.resolve(OptimizedModelCache.MODEL_FILE));
        } catch (PeregrineException e) {
            // Writing may be what failed; a model that is itself broken fails again below, with its own message.
            OptimizedModelCache.delete(staging);
            return new SessionLoad(createSession(environment, onnxFile, onnxFile, options, level, profilePrefix, null),
                    GraphCache.UNAVAILABLE);
        }
        try {
            cache.commit(staging, key.get());
            return new SessionLoad(session, GraphCache.WRITTEN);
        } catch (IOException e) {
            OptimizedModelCache.delete(staging);
            return new SessionLoad(session, GraphCache.UNAVAILABLE);
        }
    }

    /**
     * @param graphFile  the file ONNX Runtime reads: the model's own, or its optimized copy from the cache
     * @param sourceFile the model's own ONNX file (named in errors, scanned for workarounds)
     * @param writeTo    where ONNX Runtime writes the optimized graph, or null
     */
    private static OrtSession createSession(OrtEnvironment environment, Path graphFile, Path sourceFile,
                                            EngineOptions options, GraphOptimization level, Path profilePrefix,
                                            Path writeTo) {
        Path onnxFile = sourceFile;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            if (profilePrefix != null) {
                so.enableProfiling(profilePrefix.toString());
            }
            so.setOptimizationLevel(level.ortLevel());
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            so.setInterOpNumThreads(1);
            if (options.allowSpinning() != null) {
                so.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
            }
            if (!options.spinBetweenRuns()) {
                so.addConfigEntry("session.force_spinning_stop", "1");
            }
            if (level.compareTo(GraphOptimization.EXTENDED) >= 0) {
                List<String> disabled = OrtWorkarounds.optimizersToDisable(onnxFile);
                if (!disabled.isEmpty()) {
                    so.addConfigEntry("optimization.disable_specified_optimizers", String.join(";", disabled));
                }
            }
            if (writeTo != null) {
                so.setOptimizedModelFilePath(writeTo.toString());
                if (OptimizedModelCache.hasExternalData(sourceFile)) {
                    // Over 2 GB a graph cannot be one protobuf: the optimized copy keeps its weights beside it.
                    so.addConfigEntry("session.optimized_model_external_initializers_file_name",
                            OptimizedModelCache.DATA_FILE);
                }
            } else if (options.optimizedModelPath() != null) {
                so.setOptimizedModelFilePath(options.optimizedModelPath().toString());
            }
            return environment.createSession(graphFile.toString(), so);
        } catch (OrtException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    onnxFile + " is not a loadable ONNX model: " + firstLine(e.getMessage()), e);
        }
    }

    private static List<InputBinding> bindInputs(ModelFolder folder, Map<String, NodeInfo> inputs) {
        List<InputBinding> bindings = new ArrayList<>();
        for (NodeInfo node : inputs.values()) {
            if (!(node.getInfo() instanceof TensorInfo tensor)) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID,
                        folder.onnxFile() + ": input '" + node.getName() + "' is not a tensor");
            }
            InputRole role = switch (node.getName().toLowerCase(Locale.ROOT)) {
                case "input_ids", "input" -> InputRole.INPUT_IDS;
                case "attention_mask", "input_mask" -> InputRole.ATTENTION_MASK;
                case "token_type_ids", "segment_ids" -> InputRole.TOKEN_TYPE_IDS;
                case "position_ids" -> InputRole.POSITION_IDS;
                default -> throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile()
                        + ": unsupported graph input '" + node.getName()
                        + "' (Peregrine feeds input_ids, attention_mask, token_type_ids and position_ids)");
            };
            boolean int32;
            if (tensor.type == OnnxJavaType.INT64) {
                int32 = false;
            } else if (tensor.type == OnnxJavaType.INT32) {
                int32 = true;
            } else {
                throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile() + ": input '"
                        + node.getName() + "' has type " + tensor.type + ", expected int64 or int32");
            }
            if (tensor.getShape().length != 2) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile() + ": input '"
                        + node.getName() + "' has rank " + tensor.getShape().length + ", expected [batch, sequence]");
            }
            bindings.add(new InputBinding(node.getName(), role, int32));
        }
        if (bindings.stream().noneMatch(b -> b.role() == InputRole.INPUT_IDS)) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile()
                    + " has no input_ids input; inputs are " + inputs.keySet());
        }
        return List.copyOf(bindings);
    }

    private static String inputName(List<InputBinding> bindings, InputRole role) {
        return bindings.stream().filter(b -> b.role() == role).findFirst().orElseThrow().name();
    }

    private static String chooseOutput(ModelFolder folder, Map<String, NodeInfo> outputs) {
        Map<String, TensorInfo> floats = new LinkedHashMap<>();
        for (NodeInfo node : outputs.values()) {
            if (node.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT) {
                floats.put(node.getName(), t);
            }
        }
        if (floats.containsKey("logits")) {
            return "logits";
        }
        for (String name : SENTENCE_OUTPUTS) {
            if (floats.containsKey(name) && floats.get(name).getShape().length == 2) {
                return name;
            }
        }
        for (String name : TOKEN_OUTPUTS) {
            if (floats.containsKey(name) && floats.get(name).getShape().length == 3) {
                return name;
            }
        }
        List<String> rank2 = floats.entrySet().stream().filter(e -> e.getValue().getShape().length == 2)
                .map(Map.Entry::getKey).toList();
        if (!folder.config().labels().isEmpty() && rank2.size() == 1) {
            return rank2.get(0);
        }
        List<String> rank3 = floats.entrySet().stream().filter(e -> e.getValue().getShape().length == 3)
                .map(Map.Entry::getKey).toList();
        if (rank3.size() == 1) {
            return rank3.get(0);
        }
        throw new PeregrineException(ErrorKind.MODEL_INVALID, folder.onnxFile()
                + ": cannot tell the task from the outputs " + outputs.keySet()
                + " (expected logits, sentence_embedding or last_hidden_state)");
    }

    private static OutputKind outputKind(String name, TensorInfo info, ModelConfig config) {
        if (info.getShape().length == 3) {
            return OutputKind.TOKEN_EMBEDDINGS;
        }
        if (name.equals("logits") || !config.labels().isEmpty() && !SENTENCE_OUTPUTS.contains(name)) {
            return OutputKind.LOGITS;
        }
        return OutputKind.SENTENCE_EMBEDDING;
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> nodes) {
        List<TensorSpec> out = new ArrayList<>();
        for (NodeInfo node : nodes.values()) {
            if (node.getInfo() instanceof TensorInfo t) {
                out.add(new TensorSpec(node.getName(), t.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", ""),
                        t.getShape()));
            } else {
                out.add(new TensorSpec(node.getName(), node.getInfo().toString(), new long[0]));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Public API

    /** What the model is and how it runs. */
    public ModelInfo info() {
        return info;
    }

    /** Where the time of loading went, and what the optimized-graph cache did. */
    public LoadReport loadReport() {
        return loadReport;
    }

    /** The options this engine runs with (the batch size is 1 for graphs with a fixed batch axis). */
    public EngineOptions options() {
        return options;
    }

    /** The most texts {@link #forward} accepts in one pass. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /**
     * Tokenizes texts, truncating each to the model's maximum length.
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when a text is null
     */
    public List<EncodedText> encode(List<String> texts) {
        return encode(texts, true);
    }

    /**
     * Tokenizes texts. The work is bounded before it is done: each text is first cut to the
     * tokenizer's {@linkplain TextTokenizer#charBudget() character budget} (when {@code truncate} is
     * true), or refused for it before any text is tokenized (when false).
     *
     * @param truncate when false, a text longer than the model's limit is an error rather than cut
     * @throws PeregrineException {@link ErrorKind#INPUT_TOO_LONG} naming the text, its token count (or,
     *                            over the character budget, its characters) and the limit;
     *                            {@link ErrorKind#INVALID_INPUT} when a text is null
     */
    public List<EncodedText> encode(List<String> texts, boolean truncate) {
        return encode(texts, truncate, TruncationDirection.RIGHT, true);
    }

    /**
     * {@link #encode(List, boolean)}, choosing which end of a too-long text is cut and whether the
     * tokenizer adds its special tokens (not when the texts spell them, as texts decoded from token ids do).
     */
    public List<EncodedText> encode(List<String> texts, boolean truncate, TruncationDirection direction,
                                    boolean addSpecialTokens) {
        Objects.requireNonNull(texts, "texts");
        if (!truncate) {
            checkCharacterBudget(texts);
        }
        List<EncodedText> encoded = tokenizer.encodeAll(texts, direction, addSpecialTokens);
        if (!truncate) {
            for (int i = 0; i < encoded.size(); i++) {
                if (encoded.get(i).truncated()) {
                    throw new InputTooLongException(i, tokenizer.countTokens(texts.get(i), addSpecialTokens),
                            tokenizer.maxLength());
                }
            }
        }
        return encoded;
    }

    /**
     * The model's tokenizer, for showing tokens and decoding ids ({@link TextTokenizer#tokens},
     * {@link TextTokenizer#decode}); owned by the engine, closed with it.
     */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Refuses, without tokenizing anything, the first text longer than the tokenizer's character
     * budget: such a text cannot fit the model's limit unless it is contrived, and tokenizing it
     * whole to say so would cost what the budget exists to prevent.
     *
     * @throws InputTooLongException counted in characters, naming the text's position
     */
    public void checkCharacterBudget(List<String> texts) {
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text != null && tokenizer.overBudget(text)) {
                throw InputTooLongException.ofCharacters(i, text.length(), tokenizer.maxLength());
            }
        }
    }

    /**
     * Tokenizes texts for {@link LongTextMode#CHUNK}: each text whole, split into windows of at most
     * the model's maximum length that {@link #run}/{@link #forward} take like any texts; pool their
     * rows with {@link WindowPooling}. The work is bounded before it is done: a text longer than
     * {@link LongTextOptions#maxChars()} is refused before any text is tokenized.
     *
     * @return one entry per text, in input order
     * @throws InputTooLongException counted in characters, naming the text and the character limit;
     *                               {@link PeregrineException} {@link ErrorKind#INVALID_INPUT} when a text is null
     */
    public List<WindowedText> encodeWindows(List<String> texts, LongTextOptions options) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(options, "options");
        checkWindowBudget(texts, options);
        return tokenizer.encodeWindows(texts, options.overlap());
    }

    /**
     * Refuses, without tokenizing anything, the first text longer than {@link LongTextOptions#maxChars()}.
     *
     * @throws InputTooLongException counted in characters, naming the text's position and the limit
     */
    public void checkWindowBudget(List<String> texts, LongTextOptions options) {
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text != null && text.length() > options.maxChars()) {
                throw InputTooLongException.ofCharactersToSplit(i, text.length(), options.maxChars());
            }
        }
    }

    /** The most characters of a text that are tokenized (see {@link TextTokenizer#charBudget()}). */
    public int charBudget() {
        return tokenizer.charBudget();
    }

    /**
     * Runs texts already tokenized, in as many passes as the batch limits require, grouping similar
     * lengths when {@link EngineOptions#sortByLength()} is on.
     *
     * @return one row per text, in input order: pooled (not normalized) embeddings, or class
     *         probabilities
     */
    public float[][] run(List<EncodedText> items) {
        return run(items, done -> { });
    }

    /**
     * {@link #run(List)}, telling {@code afterPass} how many texts each forward pass finished, so a
     * caller can show progress per batch rather than per call.
     */
    public float[][] run(List<EncodedText> items, java.util.function.IntConsumer afterPass) {
        Objects.requireNonNull(items, "items");
        Objects.requireNonNull(afterPass, "afterPass");
        int n = items.size();
        float[][] out = new float[n][];
        if (n == 0) {
            return out;
        }
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = paddedLength(items.get(i).length());
        }
        for (int[] batch : BatchPlanner.plan(lengths, maxBatchSize, options.maxBatchTokens(), options.sortByLength(),
                options.passOverheadTokens())) {
            List<EncodedText> members = new ArrayList<>(batch.length);
            for (int index : batch) {
                members.add(items.get(index));
            }
            float[][] rows = forward(members);
            for (int k = 0; k < batch.length; k++) {
                out[batch[k]] = rows[k];
            }
            afterPass.accept(batch.length);
        }
        return out;
    }

    /**
     * One forward pass over exactly these texts, padded to the longest of them (or to the graph's
     * fixed length).
     *
     * @param batch at most {@link #maxBatchSize()} texts
     * @return one row per text, in the given order: pooled (not normalized) embeddings, or class
     *         probabilities
     * @throws PeregrineException {@link ErrorKind#INFERENCE_FAILED} when ONNX Runtime fails
     */
    public float[][] forward(List<EncodedText> batch) {
        Objects.requireNonNull(batch, "batch");
        if (batch.isEmpty()) {
            return new float[0][];
        }
        if (batch.size() > maxBatchSize) {
            throw new IllegalArgumentException("batch of " + batch.size() + " exceeds maxBatchSize " + maxBatchSize);
        }
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("engine for " + name + " is closed");
            }
            return forwardLocked(batch, dimension, null, this::postprocess);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #forward} without the classifier's last step: one row per text of raw logits for a
     * classifier (turn a row into probabilities with {@link #scores}), and pooled, not normalized
     * embeddings for an embedder (as {@link #forward}). What a server's batch runs when some of its
     * requests want logits and others probabilities.
     *
     * @param batch at most {@link #maxBatchSize()} texts
     * @throws PeregrineException {@link ErrorKind#INFERENCE_FAILED} when ONNX Runtime fails
     */
    public float[][] forwardRaw(List<EncodedText> batch) {
        return locked(batch, () -> forwardLocked(batch, dimension, null, this::postprocessRaw));
    }

    /**
     * A classifier's probabilities from one row of {@link #forwardRaw} logits: softmax, or a sigmoid
     * per class for a multi-label model. The row is not changed.
     *
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the model is an embedder
     */
    public float[] scores(float[] logits) {
        requireTask(Task.CLASSIFICATION);
        float[] copy = logits.clone();
        return multiLabel ? Vectors.sigmoidInPlace(copy) : Vectors.softmaxInPlace(copy);
    }

    /**
     * Every token's vector of each text, before pooling (text-embeddings-inference's {@code /embed_all}):
     * the graph's token output, for the text's own tokens (special tokens included, padding not), in
     * as many passes as the batch limits require.
     *
     * @return per text, in input order: one row per token of {@link #info()}'s dimension
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the graph has no per-token output
     *                            (a classifier, or a graph that outputs only a pooled sentence embedding)
     */
    public List<float[][]> embedTokens(List<EncodedText> items) {
        Objects.requireNonNull(items, "items");
        if (outputKind != OutputKind.TOKEN_EMBEDDINGS) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + name + "' "
                    + (outputKind == OutputKind.LOGITS ? "is a classifier" : "outputs only pooled sentence embeddings ('"
                    + outputName + "')") + ", so it has no per-token vectors");
        }
        int n = items.size();
        float[][][] out = new float[n][][];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = paddedLength(items.get(i).length());
        }
        for (int[] batch : BatchPlanner.plan(lengths, maxBatchSize, options.maxBatchTokens(), options.sortByLength(),
                options.passOverheadTokens())) {
            List<EncodedText> members = new ArrayList<>(batch.length);
            for (int index : batch) {
                members.add(items.get(index));
            }
            float[][][] rows = locked(members, () -> forwardLocked(members, dimension, null, this::tokenRows));
            for (int k = 0; k < batch.length; k++) {
                out[batch[k]] = rows[k];
            }
        }
        return List.of(out);
    }

    /** Runs a pass under the lifecycle's read lock, refusing a closed engine or an oversized batch. */
    private <T> T locked(List<EncodedText> batch, java.util.function.Supplier<T> pass) {
        Objects.requireNonNull(batch, "batch");
        if (batch.size() > maxBatchSize) {
            throw new IllegalArgumentException("batch of " + batch.size() + " exceeds maxBatchSize " + maxBatchSize);
        }
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("engine for " + name + " is closed");
            }
            return pass.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #forward} that also says how long each stage of the pass took, for profiling.
     *
     * @return the rows and the stage times of this pass
     */
    public TimedPass forwardTimed(List<EncodedText> batch) {
        Objects.requireNonNull(batch, "batch");
        if (batch.isEmpty() || batch.size() > maxBatchSize) {
            throw new IllegalArgumentException("batch of " + batch.size() + " texts; expected 1.." + maxBatchSize);
        }
        long[] nanos = new long[3];
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("engine for " + name + " is closed");
            }
            float[][] rows = forwardLocked(batch, dimension, nanos, this::postprocess);
            return new TimedPass(rows, nanos[0], nanos[1], nanos[2]);
        } finally {
            lock.unlock();
        }
    }

    /**
     * One forward pass's rows and where its time went.
     *
     * @param inputNanos  writing the token ids, masks and type ids into the input tensors
     * @param runNanos    ONNX Runtime's {@code run}
     * @param outputNanos pooling, softmax or sigmoid into Java rows
     */
    public record TimedPass(float[][] rows, long inputNanos, long runNanos, long outputNanos) {
    }

    /**
     * Stops ONNX Runtime's profiler (see {@link #openProfiled}) and returns the JSON file it wrote.
     *
     * @throws IllegalStateException when the engine was not opened with profiling
     */
    public Path endProfiling() {
        ReentrantReadWriteLock.WriteLock lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("engine for " + name + " is closed");
            }
            String file = session.endProfiling();
            if (file == null || file.isEmpty()) {
                throw new IllegalStateException("engine for " + name + " was not opened with profiling");
            }
            return Path.of(file);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not write its profile: " + firstLine(e.getMessage()), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Embeds texts with the model's own normalization setting.
     *
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the model is a classifier
     */
    public List<float[]> embed(List<String> texts) {
        return embed(texts, info.normalize());
    }

    /**
     * Embeds texts (truncating long ones).
     *
     * @param normalize scale each vector to unit length
     * @return one vector per text, in input order
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the model is a classifier
     */
    public List<float[]> embed(List<String> texts, boolean normalize) {
        requireTask(Task.EMBEDDING);
        float[][] rows = run(encode(texts));
        List<float[]> out = new ArrayList<>(rows.length);
        for (float[] row : rows) {
            out.add(normalize ? Vectors.normalizeInPlace(row) : row);
        }
        return out;
    }

    /**
     * Classifies texts (truncating long ones).
     *
     * @return one answer per text, in input order
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the model is an embedder
     */
    public List<Classification> classify(List<String> texts) {
        requireTask(Task.CLASSIFICATION);
        float[][] rows = run(encode(texts));
        List<Classification> out = new ArrayList<>(rows.length);
        for (float[] row : rows) {
            out.add(Classification.of(labels, row));
        }
        return out;
    }

    /** Wraps one row of {@link #run}/{@link #forward} output of a classifier. */
    public Classification toClassification(float[] probabilities) {
        requireTask(Task.CLASSIFICATION);
        return Classification.of(labels, probabilities);
    }

    private void requireTask(Task wanted) {
        if (info.task() != wanted) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + info.name() + "' is "
                    + (info.task() == Task.EMBEDDING ? "an embedding model" : "a classifier")
                    + " and cannot " + (wanted == Task.EMBEDDING ? "embed" : "classify"));
        }
    }

    /** The sequence length the graph fixes (every text is padded to it), or 0 when it is dynamic. */
    public int fixedSequenceLength() {
        return fixedSequenceLength;
    }

    /** The length a text occupies in a batch: its own, or the graph's fixed length. */
    private int paddedLength(int tokens) {
        return fixedSequenceLength > 0 ? fixedSequenceLength : tokens;
    }

    // ---------------------------------------------------------------------------------------------
    // The forward pass

    /** Turns the output tensor of one pass into what the caller wants from it. */
    @FunctionalInterface
    private interface Output<T> {
        T read(FloatBuffer out, List<EncodedText> batch, int seq, int width);
    }

    /** @param nanos when not null, receives the input, run and output stage times */
    private <T> T forwardLocked(List<EncodedText> batch, int width, long[] nanos, Output<T> reader) {
        int rows = batch.size();
        int seq = 0;
        for (EncodedText item : batch) {
            seq = Math.max(seq, item.length());
        }
        seq = paddedLength(seq);
        long[] inputShape = {rows, seq};
        int cells = rows * seq;
        boolean pinned = width > 0;
        int outCells = outputKind == OutputKind.TOKEN_EMBEDDINGS ? cells * width : rows * width;

        InputArena arena = arenas.get();
        arena.reserve((long) bindings.size() * cells * Long.BYTES + (pinned ? (long) outCells * Float.BYTES : 0));
        Map<String, OnnxTensor> inputs = new HashMap<>();
        OnnxTensor output = null;
        long t0 = nanos == null ? 0 : System.nanoTime();
        try {
            for (InputBinding binding : bindings) {
                inputs.put(binding.name(), inputTensor(arena, binding, batch, seq, inputShape));
            }
            if (pinned) {
                FloatBuffer outBuffer = arena.floats(outCells);
                long[] outShape = outputKind == OutputKind.TOKEN_EMBEDDINGS
                        ? new long[] {rows, seq, width} : new long[] {rows, width};
                output = OnnxTensor.createTensor(environment, outBuffer, outShape);
                long t1 = nanos == null ? 0 : System.nanoTime();
                try (OrtSession.Result ignored = session.run(inputs, Map.of(outputName, output))) {
                    long t2 = nanos == null ? 0 : System.nanoTime();
                    T result = reader.read(outBuffer, batch, seq, width);
                    if (nanos != null) {
                        nanos[0] = t1 - t0;
                        nanos[1] = t2 - t1;
                        nanos[2] = System.nanoTime() - t2;
                    }
                    return result;
                }
            }
            long t1 = nanos == null ? 0 : System.nanoTime();
            try (OrtSession.Result result = session.run(inputs, Set.of(outputName))) {
                long t2 = nanos == null ? 0 : System.nanoTime();
                OnnxTensor tensor = (OnnxTensor) result.get(0);
                long[] shape = tensor.getInfo().getShape();
                T rowsOut = reader.read(tensor.getFloatBuffer(), batch, seq, (int) shape[shape.length - 1]);
                if (nanos != null) {
                    nanos[0] = t1 - t0;
                    nanos[1] = t2 - t1;
                    nanos[2] = System.nanoTime() - t2;
                }
                return rowsOut;
            }
        } catch (OrtException e) {
            throw new PeregrineException(ErrorKind.INFERENCE_FAILED, "model '" + name
                    + "' failed on a batch of " + rows + " x " + seq + " tokens: " + firstLine(e.getMessage()), e);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
            if (output != null) {
                output.close();
            }
        }
    }

    private OnnxTensor inputTensor(InputArena arena, InputBinding binding, List<EncodedText> batch, int seq,
                                   long[] shape) throws OrtException {
        int rows = batch.size();
        if (binding.int32()) {
            IntBuffer buf = arena.ints(rows * seq);
            for (int r = 0; r < rows; r++) {
                EncodedText item = batch.get(r);
                for (int t = 0; t < seq; t++) {
                    buf.put(r * seq + t, (int) value(binding.role(), item, t));
                }
            }
            return OnnxTensor.createTensor(environment, buf, shape);
        }
        LongBuffer buf = arena.longs(rows * seq);
        for (int r = 0; r < rows; r++) {
            EncodedText item = batch.get(r);
            for (int t = 0; t < seq; t++) {
                buf.put(r * seq + t, value(binding.role(), item, t));
            }
        }
        return OnnxTensor.createTensor(environment, buf, shape);
    }

    /** The value of one input cell; positions past the text's end are padding (masked out). */
    private static long value(InputRole role, EncodedText item, int t) {
        boolean real = t < item.length();
        return switch (role) {
            case INPUT_IDS -> real ? item.ids()[t] : 0L;
            case ATTENTION_MASK -> real ? 1L : 0L;
            case TOKEN_TYPE_IDS -> real ? item.typeIds()[t] : 0L;
            case POSITION_IDS -> t;
        };
    }

    private float[][] postprocess(FloatBuffer out, List<EncodedText> batch, int seq, int width) {
        int rows = batch.size();
        float[][] result = new float[rows][];
        for (int r = 0; r < rows; r++) {
            result[r] = switch (outputKind) {
                case TOKEN_EMBEDDINGS -> Vectors.pool(out, r, seq, width, batch.get(r).length(), pooling);
                case SENTENCE_EMBEDDING -> Vectors.row(out, r, width);
                case LOGITS -> multiLabel
                        ? Vectors.sigmoidInPlace(Vectors.row(out, r, width))
                        : Vectors.softmaxInPlace(Vectors.row(out, r, width));
            };
        }
        return result;
    }

    /** Like {@link #postprocess}, but a classifier's logits stay raw. */
    private float[][] postprocessRaw(FloatBuffer out, List<EncodedText> batch, int seq, int width) {
        if (outputKind != OutputKind.LOGITS) {
            return postprocess(out, batch, seq, width);
        }
        float[][] result = new float[batch.size()][];
        for (int r = 0; r < result.length; r++) {
            result[r] = Vectors.row(out, r, width);
        }
        return result;
    }

    /** Each text's own token vectors (its padding left out) from a token-embedding output. */
    private float[][][] tokenRows(FloatBuffer out, List<EncodedText> batch, int seq, int width) {
        float[][][] result = new float[batch.size()][][];
        for (int r = 0; r < result.length; r++) {
            int tokens = batch.get(r).length();
            float[][] rows = new float[tokens][width];
            for (int t = 0; t < tokens; t++) {
                out.get(((r * seq) + t) * width, rows[t]);
            }
            result[r] = rows;
        }
        return result;
    }

    /** Runs the warm-up pass without a known output width and returns the width ONNX Runtime produced. */
    private int probeDimension() {
        List<EncodedText> probe = tokenizer.encodeAll(List.of("warm-up"));
        float[][] rows = forwardLocked(probe, 0, null, this::postprocess);
        return rows[0].length;
    }

    private void warmUp() {
        forwardLocked(tokenizer.encodeAll(List.of("warm-up")), dimension, null, this::postprocess);
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Waits for passes in flight, then frees the session and tokenizer. Idempotent.
     */
    @Override
    public void close() {
        ReentrantReadWriteLock.WriteLock lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(session, tokenizer);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(OrtSession session, TextTokenizer tokenizer) {
        try {
            session.close();
        } catch (OrtException | RuntimeException e) {
            // nothing useful to do: the process keeps running without this session
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    private static long onnxSize(Path onnxFile) {
        try {
            long size = Files.size(onnxFile);
            String stem = onnxFile.getFileName().toString();
            Path dir = onnxFile.getParent();
            try (Stream<Path> siblings = Files.list(dir)) {
                for (Path p : (Iterable<Path>) siblings::iterator) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(stem + "_data") || n.startsWith(stem + ".data") || n.equals(stem + "_data")) {
                        size += Files.size(p);
                    }
                }
            }
            return size;
        } catch (IOException e) {
            return -1;
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no detail)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public String toString() {
        return "Engine[" + info.name() + ", " + info.task().id() + ", " + info.variant() + "]";
    }
}
