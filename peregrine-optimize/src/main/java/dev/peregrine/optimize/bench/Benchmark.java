package dev.peregrine.optimize.bench;

import dev.peregrine.core.Task;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.validate.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The step-by-step benchmark: one process, the same texts, each row adding one optimization to the
 * row above it (optionally first the seeds' baseline, PyTorch eager from the same weights, one text at a
 * time and batched, through an {@link EagerRuntime}; then ONNX Runtime one text at a time without graph
 * optimization; + batching; + ONNX
 * Runtime's graph optimization; + Peregrine's transformer fusions; + Peregrine's INT8; +
 * length-sorted batching; + the serving settings the sweep found best), then other models with the
 * final settings (for example the shipped Python-quantized model); with a distilled student, its INT8
 * variant with the final settings is the last step. The sweep of serving settings
 * (instances x threads, spinning, batch token budget) on the INT8 model runs first.
 *
 * <h2>Fairness on a shared machine</h2>
 * Every row's engine is loaded and warmed up first (its longest few batches, enough for ONNX
 * Runtime's first-run allocations; a whole unmeasured pass per row was most of a one-pass run's
 * time); then the measured passes go round-robin over the rows (pass 1 of every row, then pass 2,
 * ...), so a burst of load from elsewhere hits all rows alike, and each row reports its median
 * pass. The first measured pass's outputs judge fidelity. Tokenization is done once before timing (it is the
 * same for every row); the timings are of the forward passes with their batching.
 */
public final class Benchmark {

    /** The sweep's cap on texts per batch; within it the token budget decides. */
    static final int SWEEP_BATCH_SIZE = EngineOptions.DEFAULT_MAX_BATCH_SIZE;

    private Benchmark() {
    }

    /**
     * @param passes         measured passes per row
     * @param maxBatchSize   texts per forward pass (batched rows)
     * @param maxBatchTokens padded tokens per forward pass (batched rows)
     * @param threads        intra-op threads per session; 0 for one per core
     * @param sweep          whether to run the serving sweep
     * @param sweepTokens    max_batch_tokens values the sweep tries
     * @param fusions        fusions for the "+ our transformer fusions" row
     * @param quantize       INT8 settings for the "+ our INT8" row
     * @param calibration    calibration texts for smoothing
     * @param compare        other models measured with the final settings
     * @param clock          for the report's date
     * @param coreScaling    whether to measure the INT8 model on 1..N cores (threads, and instances)
     * @param eager          the runtime of the first rows (PyTorch eager, one text at a time and batched),
     *                       or null to start at ONNX Runtime
     * @param student        a distilled student of the model, measured last (INT8, the final settings),
     *                       or null
     */
    public record Options(int passes, int maxBatchSize, int maxBatchTokens, int threads, boolean sweep,
                          List<Integer> sweepTokens, FusionOptions fusions, QuantizeOptions quantize,
                          List<String> calibration, List<ModelFolder> compare, Clock clock, boolean coreScaling,
                          EagerRuntime eager, ModelFolder student) {
        public Options {
            if (passes < 1) {
                throw new IllegalArgumentException("passes must be at least 1, was " + passes);
            }
            sweepTokens = List.copyOf(sweepTokens);
            calibration = List.copyOf(calibration);
            compare = List.copyOf(compare);
            Objects.requireNonNull(fusions, "fusions");
            Objects.requireNonNull(quantize, "quantize");
            Objects.requireNonNull(clock, "clock");
        }

        public static Options defaults() {
            return new Options(3, EngineOptions.DEFAULT_MAX_BATCH_SIZE, EngineOptions.DEFAULT_MAX_BATCH_TOKENS, 0,
                    true, List.of(64, 128, 256, 512, 1024, 2048, 8192), FusionOptions.defaults(),
                    QuantizeOptions.recommended(),
                    DefaultTexts.calibration(), List.of(), Clock.systemUTC(), false, null, null);
        }

        /** PyTorch-eager (or another runtime's) rows first; null for none. */
        public Options withEager(EagerRuntime runtime) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, runtime, student);
        }

        /** A distilled student's row last; null for none. */
        public Options withStudent(ModelFolder folder) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, folder);
        }

        public Options withCoreScaling(boolean on) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, on, eager, student);
        }

        public Options withPasses(int n) {
            return new Options(n, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student);
        }

        public Options withSweep(boolean on) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, on, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student);
        }

        public Options withCompare(List<ModelFolder> models) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, models, clock, coreScaling, eager, student);
        }

        public Options withLimits(int batchSize, int batchTokens, int threadCount) {
            return new Options(passes, batchSize, batchTokens, threadCount, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student);
        }
    }

    /** One configuration to measure, on {@code instances} sessions sharing the batches. */
    private record Setup(String step, String setup, ModelFolder folder, EngineOptions options, int instances,
                         boolean comparison, boolean eager) {
        Setup(String step, String setup, ModelFolder folder, EngineOptions options, boolean comparison) {
            this(step, setup, folder, options, 1, comparison, false);
        }

        Setup(String step, String setup, ModelFolder folder, EngineOptions options, int instances, boolean comparison) {
            this(step, setup, folder, options, instances, comparison, false);
        }
    }

    /**
     * Runs the benchmark. Variants (fused, INT8) are written under {@code workDir}.
     *
     * @param log receives one line per phase (for a progress display)
     */
    public static BenchReport run(ModelFolder model, List<String> texts, Options o, Path workDir, Consumer<String> log) {
        Objects.requireNonNull(model, "model");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to benchmark on");
        }
        List<String> notes = new ArrayList<>();
        log.accept("writing the fused and INT8 variants");
        ModelConversion.Outcome fused = ModelConversion.convert(model, workDir, "fused",
                ModelConversion.Settings.fuseOnly(o.fusions()));
        ModelConversion.Outcome int8 = ModelConversion.convert(model, workDir, "int8",
                new ModelConversion.Settings(o.fusions(), QuantMode.INT8_DYNAMIC, o.quantize(), o.calibration(),
                        java.util.Set.of()));
        notes.add("fusions: " + fused.metadata().getOrDefault("peregrine.fusions", "none"));
        notes.add("int8: " + int8.quantization().converted() + " -> " + int8.quantization().emitted()
                + ", smoothing " + int8.metadata().get("peregrine.quantization.smoothing"));
        ModelFolder fusedFolder = ModelFolder.open(workDir, "fused", model.name() + "-fused");
        ModelFolder int8Folder = ModelFolder.open(workDir, "int8", model.name() + "-int8");

        EngineOptions single = EngineOptions.builder().graphOptimization(GraphOptimization.NONE)
                .intraOpThreads(o.threads()).maxBatchSize(1).maxBatchTokens(Integer.MAX_VALUE).sortByLength(false).build();
        EngineOptions batched = single.toBuilder().maxBatchSize(o.maxBatchSize()).maxBatchTokens(o.maxBatchTokens()).build();
        EngineOptions optimized = batched.toBuilder().graphOptimization(GraphOptimization.ALL).build();
        EngineOptions sorted = optimized.toBuilder().sortByLength(true).build();
        String batchWords = "batches of " + o.maxBatchSize() + " (" + o.maxBatchTokens() + " tokens), padded to the longest";
        List<Setup> setups = new ArrayList<>(List.of(
                new Setup("baseline", "fp32, one text at a time, graph optimization off", model, single, false),
                new Setup("+ batching", "fp32, " + batchWords, model, batched, false),
                new Setup("+ graph optimization", "fp32, ONNX Runtime optimization all", model, optimized, false),
                new Setup("+ our transformer fusions", "fp32 fused graph", fusedFolder, optimized, false),
                new Setup("+ our INT8", "int8 (" + int8.metadata().get("peregrine.quantization.weights") + ")",
                        int8Folder, optimized, false),
                new Setup("+ length-sorted batching", "int8, texts grouped by length", int8Folder, sorted, false)));
        List<SweepRow> sweep = List.of();
        List<SweepRow> scaling = o.coreScaling() ? coreScaling(int8Folder, texts, o, log) : List.of();
        EngineOptions last = sorted;
        int lastInstances = 1;
        if (o.sweep()) {
            sweep = sweep(int8Folder, texts, o, log);
            SweepRow best = sweep.stream().max(java.util.Comparator.comparingDouble(SweepRow::itemsPerSecond))
                    .orElseThrow();
            last = sorted.toBuilder().intraOpThreads(best.threads()).allowSpinning(best.spinning())
                    .maxBatchSize(SWEEP_BATCH_SIZE).maxBatchTokens(best.maxBatchTokens()).build();
            lastInstances = best.instances();
            setups.add(new Setup("+ tuned serving settings", "int8, " + best.instances() + " instance(s) x "
                    + best.threads() + " thread(s), spinning " + (best.spinning() ? "on" : "off") + ", "
                    + best.maxBatchTokens() + " tokens per batch (best of the sweep)", int8Folder, last,
                    lastInstances, false));
        }
        if (o.student() != null) {
            log.accept("writing the student's INT8 variant");
            ModelConversion.Outcome studentInt8 = ModelConversion.convert(o.student(), workDir, "student-int8",
                    new ModelConversion.Settings(o.fusions(), QuantMode.INT8_DYNAMIC, o.quantize(), o.calibration(),
                            java.util.Set.of()));
            String layers;
            try {
                layers = dev.peregrine.onnx.OnnxModel.metadata(dev.peregrine.onnx.OnnxModel.read(o.student().onnxFile()))
                        .getOrDefault("peregrine.distill.layers", "?");
            } catch (IOException e) {
                throw new dev.peregrine.core.PeregrineException(dev.peregrine.core.ErrorKind.MODEL_INVALID,
                        "cannot read " + o.student().onnxFile() + ": " + e.getMessage(), e);
            }
            notes.add("student int8: " + studentInt8.quantization().converted() + " -> "
                    + studentInt8.quantization().emitted());
            setups.add(new Setup("+ distilled student", "int8 student " + o.student().name() + " (layers kept: "
                    + layers + "), same settings as the row above", ModelFolder.open(workDir, "student-int8",
                    o.student().name() + "-int8"), last, lastInstances, false));
        }
        for (ModelFolder other : o.compare()) {
            setups.add(new Setup("compare: " + other.name(), "same settings as the last row", other, last,
                    lastInstances, true));
        }
        if (o.eager() != null) {
            EngineOptions eagerBatched = batched.toBuilder().sortByLength(false).build();
            setups.add(0, new Setup("PyTorch eager, batched", "fp32, " + o.eager().describe() + ", " + batchWords,
                    model, eagerBatched, 1, false, true));
            setups.add(0, new Setup("PyTorch eager, one text at a time", "fp32, " + o.eager().describe()
                    + ", the same weights", model, single, 1, false, true));
        }

        List<Engine> engines = new ArrayList<>();
        List<EagerRuntime.Forward> eagerModels = new ArrayList<>();
        List<PassRunner> runners = new ArrayList<>();
        try {
            List<float[][]> outputs = new ArrayList<>();
            for (java.util.Iterator<Setup> it = setups.iterator(); it.hasNext(); ) {
                Setup s = it.next();
                log.accept("loading " + s.step() + " (" + s.folder().onnxFile().getFileName() + ")");
                if (s.eager()) {
                    // Tokenized by ONNX Runtime's engine of the same model: the same ids for both runtimes.
                    Engine tokens = Engine.open(s.folder(), s.options());
                    engines.add(tokens);
                    EagerRuntime.Forward forward;
                    try {
                        forward = o.eager().open(s.folder(), tokens.info());
                    } catch (dev.peregrine.core.PeregrineException e) {
                        notes.add(s.step() + ": left out (" + e.getMessage() + ")");
                        it.remove();
                        continue;
                    }
                    eagerModels.add(forward);
                    PassRunner r = new PassRunner(List.<PassRunner.Forward>of(forward::forward), s.options().maxBatchSize(),
                            s.options().maxBatchTokens(), s.options().sortByLength(), tokens.encode(texts));
                    runners.add(r);
                    r.warmUp();
                    continue;
                }
                List<Engine> instances = new ArrayList<>();
                for (int i = 0; i < s.instances(); i++) {
                    instances.add(Engine.open(s.folder(), s.options()));
                }
                engines.addAll(instances);
                List<EncodedText> encoded = instances.get(0).encode(texts);
                PassRunner r = new PassRunner(instances, encoded, s.options().maxBatchSize(),
                        s.options().maxBatchTokens(), s.options().sortByLength());
                runners.add(r);
                r.warmUp();
            }
            Task task = engines.get(0).info().task();
            long tokens = engines.get(0).encode(texts).stream().mapToLong(EncodedText::length).sum();
            List<List<Double>> seconds = new ArrayList<>();
            List<List<Double>> batches = new ArrayList<>();
            for (int i = 0; i < setups.size(); i++) {
                seconds.add(new ArrayList<>());
                batches.add(new ArrayList<>());
            }
            for (int p = 0; p < o.passes(); p++) {
                log.accept("pass " + (p + 1) + " of " + o.passes());
                for (int i = 0; i < setups.size(); i++) {
                    PassRunner.Pass pass = runners.get(i).run();
                    seconds.get(i).add(pass.seconds());
                    batches.get(i).addAll(pass.batchMillis());
                    if (p == 0) {
                        outputs.add(pass.outputs());  // the first measured pass's outputs judge fidelity
                    }
                }
            }
            int eagerRow = -1;
            int ortRow = -1;
            for (int i = 0; i < setups.size(); i++) {
                if (setups.get(i).eager() && setups.get(i).options().maxBatchSize() == 1) {
                    eagerRow = i;
                } else if (ortRow < 0 && !setups.get(i).eager()) {
                    ortRow = i;
                }
            }
            if (eagerRow >= 0 && ortRow >= 0) {
                notes.add(String.format(java.util.Locale.ROOT, "PyTorch eager vs ONNX Runtime (same weights, one text "
                        + "at a time): max |diff| %.2g", maxDiff(outputs.get(eagerRow), outputs.get(ortRow))));
            }
            List<BenchRow> steps = new ArrayList<>();
            List<BenchRow> comparisons = new ArrayList<>();
            double base = 0;
            double previous = 0;
            for (int i = 0; i < setups.size(); i++) {
                Throughput t = new Throughput(texts.size(), Throughput.toArray(seconds.get(i)),
                        Throughput.toArray(batches.get(i)));
                double ips = t.itemsPerSecond();
                if (i == 0) {
                    base = ips;
                }
                Setup s = setups.get(i);
                double fidelity = fidelity(task, outputs.get(0), outputs.get(i));
                BenchRow row = new BenchRow(s.step(), s.setup(), ips, t.msPerItem(), t.p50BatchMs(), t.p99BatchMs(),
                        ips / base, s.comparison() || i == 0 ? null : ips / previous, fidelity);
                if (s.comparison()) {
                    comparisons.add(row);
                } else {
                    steps.add(row);
                    previous = ips;
                }
            }
            Map<String, String> env = environment(engines.get(0).info().onnxRuntime(), o.clock());
            for (PassRunner r : runners) {
                r.close();
            }
            runners.clear();
            for (Engine e : engines) {
                e.close();
            }
            engines.clear();
            return new BenchReport(model.name(), texts.size(), tokens, o.passes(), env, steps, comparisons, sweep, notes,
                    scaling);
        } finally {
            runners.forEach(PassRunner::close);
            engines.forEach(Engine::close);
            eagerModels.forEach(EagerRuntime.Forward::close);
        }
    }

    static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    /** Mean cosine (embedders) or top-label agreement (classifiers) with the reference rows. */
    static double fidelity(Task task, float[][] reference, float[][] candidate) {
        if (task == Task.EMBEDDING) {
            return Validator.embeddings(reference, candidate, 1).cosineMean();
        }
        int agree = 0;
        for (int i = 0; i < reference.length; i++) {
            if (argmax(reference[i]) == argmax(candidate[i])) {
                agree++;
            }
        }
        return (double) agree / reference.length;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Serving settings of one model: every batch token budget with every way of filling the cores
     * (instances x threads), ONNX Runtime's thread spinning on; then spinning off for the best.
     */
    public static List<SweepRow> sweep(ModelFolder folder, List<String> texts, Options o, Consumer<String> log) {
        return sweep(folder, texts, o, log, () -> false);
    }

    /** How many settings {@link #sweep} measures on this machine. */
    public static int sweepSize(Options o) {
        return o.sweepTokens().size() * shapes(Runtime.getRuntime().availableProcessors()).size() + 1;
    }

    private static List<int[]> shapes(int cores) {
        List<int[]> shapes = new ArrayList<>();
        shapes.add(new int[] {1, cores});
        if (cores > 1) {
            shapes.add(new int[] {cores, 1});
        }
        if (cores >= 4) {
            shapes.add(new int[] {2, cores / 2});
        }
        return shapes;
    }

    /**
     * {@link #sweep} that stops before the next setting once {@code stop} says so, returning the
     * settings measured (at least one).
     */
    public static List<SweepRow> sweep(ModelFolder folder, List<String> texts, Options o, Consumer<String> log,
                                       java.util.function.BooleanSupplier stop) {
        List<int[]> shapes = shapes(Runtime.getRuntime().availableProcessors());
        List<SweepRow> rows = new ArrayList<>();
        SweepRow best = null;
        for (int tokens : o.sweepTokens()) {
            for (int[] shape : shapes) {
                if (best != null && stop.getAsBoolean()) {
                    return rows;
                }
                SweepRow r = measure(folder, texts, shape[0], shape[1], true, tokens, SWEEP_BATCH_SIZE, o.passes(), log);
                rows.add(r);
                if (best == null || r.itemsPerSecond() > best.itemsPerSecond()) {
                    best = r;
                }
            }
        }
        if (stop.getAsBoolean()) {
            return rows;
        }
        rows.add(measure(folder, texts, best.instances(), best.threads(), false, best.maxBatchTokens(),
                SWEEP_BATCH_SIZE, o.passes(), log));
        return rows;
    }

    /**
     * How throughput grows with cores on this machine: the INT8 model with 1..N intra-op threads in
     * one session, then 2..N single-threaded sessions sharing the batches (spinning on, the default
     * token budget). What a user extrapolates from to a larger machine.
     */
    public static List<SweepRow> coreScaling(ModelFolder folder, List<String> texts, Options o, Consumer<String> log) {
        int cores = Runtime.getRuntime().availableProcessors();
        List<SweepRow> rows = new ArrayList<>();
        for (int t = 1; t <= cores; t++) {
            rows.add(measure(folder, texts, 1, t, true, o.maxBatchTokens(), o.maxBatchSize(), o.passes(), log));
        }
        for (int i = 2; i <= cores; i++) {
            rows.add(measure(folder, texts, i, 1, true, o.maxBatchTokens(), o.maxBatchSize(), o.passes(), log));
        }
        return rows;
    }

    /** Throughput of {@code instances} sessions of {@code threads} threads each, sharing the batches. */
    public static SweepRow measure(ModelFolder folder, List<String> texts, int instances, int threads, boolean spin,
                                   int maxBatchTokens, int maxBatchSize, int passes, Consumer<String> log) {
        log.accept("measuring " + instances + " x " + threads + (spin ? " spinning" : " not spinning")
                + ", " + maxBatchTokens + " tokens per batch");
        EngineOptions options = EngineOptions.builder().graphOptimization(GraphOptimization.ALL)
                .intraOpThreads(threads).allowSpinning(spin).maxBatchSize(maxBatchSize).maxBatchTokens(maxBatchTokens)
                .sortByLength(true).build();
        List<Engine> engines = new ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                engines.add(Engine.open(folder, options));
            }
            List<EncodedText> encoded = engines.get(0).encode(texts);
            try (PassRunner r = new PassRunner(engines, encoded, maxBatchSize, maxBatchTokens, true)) {
                r.warmUp();
                List<Double> seconds = new ArrayList<>();
                List<Double> batches = new ArrayList<>();
                for (int p = 0; p < passes; p++) {
                    PassRunner.Pass pass = r.run();
                    seconds.add(pass.seconds());
                    batches.addAll(pass.batchMillis());
                }
                Throughput t = new Throughput(texts.size(), Throughput.toArray(seconds), Throughput.toArray(batches));
                return new SweepRow(instances, threads, spin, maxBatchTokens, t.itemsPerSecond(), t.p50BatchMs(),
                        t.p99BatchMs());
            }
        } finally {
            engines.forEach(Engine::close);
        }
    }

    /** CPU model and instruction sets, cores, Java, ONNX Runtime, OS and date. */
    public static Map<String, String> environment(String onnxRuntime, Clock clock) {
        CpuFeatures cpu = CpuFeatures.detect();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("cpu", cpu.modelName());
        env.put("isa", cpu.known() ? String.join(", ", cpu.int8InstructionSets()) : "unknown");
        env.put("int8_target", CpuTarget.of(cpu).id());
        env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("java", System.getProperty("java.version"));
        env.put("onnxruntime", onnxRuntime);
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("date", LocalDate.now(clock).toString());
        return env;
    }
}
