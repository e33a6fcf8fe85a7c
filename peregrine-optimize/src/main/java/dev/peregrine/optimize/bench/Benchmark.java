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
 *
 * <h2>A quick look: timed on a sample, judged on every text</h2>
 * With {@link Options#timedTexts} below the number of texts, every row is timed on the same
 * {@link TimedSample} of them (its lengths follow the whole set's, so unsorted batches pay the padding
 * they would pay on all texts), while fidelity is still judged on every text: each variant (runtime,
 * graph file, optimization level) computes its outputs for all texts once, in length-sorted batches,
 * the fast way, whatever batching its rows are timed with, and the rows that differ from it only in
 * batching share them. The slow rows (unsorted padded batches, PyTorch eager batched) are then paid
 * for on the sample only. That pass warms its row up; the other rows warm up on one batch of their
 * own. The report says what was timed ({@link BenchReport#timing()}). INT8 with per-batch activation
 * scales gives slightly different outputs in other batches, so the INT8 row's fidelity is that of
 * length-sorted batches, as the length-sorted row's.
 */
public final class Benchmark {

    /** Texts each row is timed on in a one-pass quick look (see {@link Options#defaultTimedTexts}). */
    public static final int QUICK_TIMED_TEXTS = 128;

    /** The seed of the {@link TimedSample}: the same texts are timed in every run on the same data. */
    static final long SAMPLE_SEED = 14;

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
     * @param timedTexts     texts each row of the table is timed on, a {@link TimedSample} of the texts
     *                       (the same for every row); 0, or at least the number of texts, for all of them.
     *                       Fidelity is judged on all texts either way.
     */
    public record Options(int passes, int maxBatchSize, int maxBatchTokens, int threads, boolean sweep,
                          List<Integer> sweepTokens, FusionOptions fusions, QuantizeOptions quantize,
                          List<String> calibration, List<ModelFolder> compare, Clock clock, boolean coreScaling,
                          EagerRuntime eager, ModelFolder student, int timedTexts) {
        public Options {
            if (passes < 1) {
                throw new IllegalArgumentException("passes must be at least 1, was " + passes);
            }
            if (timedTexts < 0) {
                throw new IllegalArgumentException("timedTexts must be 0 (all) or more, was " + timedTexts);
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
                    DefaultTexts.calibration(), List.of(), Clock.systemUTC(), false, null, null, 0);
        }

        /**
         * Texts timed per row when the caller does not say: {@link #QUICK_TIMED_TEXTS} for a one-pass
         * quick look, all of them (0) for a measurement of several passes.
         */
        public static int defaultTimedTexts(int passes) {
            return passes == 1 ? QUICK_TIMED_TEXTS : 0;
        }

        /** Each row timed on a sample of this many texts; 0 for all. */
        public Options withTimedTexts(int n) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student, n);
        }

        /** PyTorch-eager (or another runtime's) rows first; null for none. */
        public Options withEager(EagerRuntime runtime) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, runtime, student, timedTexts);
        }

        /** A distilled student's row last; null for none. */
        public Options withStudent(ModelFolder folder) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, folder, timedTexts);
        }

        public Options withCoreScaling(boolean on) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, on, eager, student, timedTexts);
        }

        public Options withPasses(int n) {
            return new Options(n, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student, timedTexts);
        }

        public Options withSweep(boolean on) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, on, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student, timedTexts);
        }

        public Options withCompare(List<ModelFolder> models) {
            return new Options(passes, maxBatchSize, maxBatchTokens, threads, sweep, sweepTokens, fusions, quantize,
                    calibration, models, clock, coreScaling, eager, student, timedTexts);
        }

        public Options withLimits(int batchSize, int batchTokens, int threadCount) {
            return new Options(passes, batchSize, batchTokens, threadCount, sweep, sweepTokens, fusions, quantize,
                    calibration, compare, clock, coreScaling, eager, student, timedTexts);
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
            // The eager rows share one loaded model (the same weights; its batching is the runner's) and
            // its tokens, from ONNX Runtime's engine of the same model: the same ids for both runtimes.
            EagerRuntime.Forward eagerForward = null;
            List<EncodedText> eagerTokens = null;
            String eagerFailure = null;
            List<List<EncodedText>> encodedPerRow = new ArrayList<>();
            List<List<PassRunner.Forward>> forwardsPerRow = new ArrayList<>();
            int[] sample = null;
            for (java.util.Iterator<Setup> it = setups.iterator(); it.hasNext(); ) {
                Setup s = it.next();
                log.accept("loading " + s.step() + " (" + s.folder().onnxFile().getFileName() + ")");
                List<PassRunner.Forward> forwards;
                List<EncodedText> encoded;
                if (s.eager()) {
                    if (eagerForward == null && eagerFailure == null) {
                        Engine tokens = Engine.open(s.folder(), s.options());
                        engines.add(tokens);
                        try {
                            eagerForward = o.eager().open(s.folder(), tokens.info());
                            eagerModels.add(eagerForward);
                            eagerTokens = tokens.encode(texts);
                        } catch (dev.peregrine.core.PeregrineException e) {
                            eagerFailure = e.getMessage();
                        }
                    }
                    if (eagerFailure != null) {
                        notes.add(s.step() + ": left out (" + eagerFailure + ")");
                        it.remove();
                        continue;
                    }
                    forwards = List.of(eagerForward::forward);
                    encoded = eagerTokens;
                } else {
                    List<Engine> instances = new ArrayList<>();
                    for (int i = 0; i < s.instances(); i++) {
                        instances.add(Engine.open(s.folder(), s.options()));
                    }
                    engines.addAll(instances);
                    forwards = instances.stream().map(e -> (PassRunner.Forward) e::forward).toList();
                    encoded = instances.get(0).encode(texts);
                }
                if (sample == null) {
                    sample = TimedSample.of(lengths(encoded), o.timedTexts() == 0 ? texts.size() : o.timedTexts(),
                            SAMPLE_SEED);
                }
                PassRunner r = new PassRunner(forwards, s.options().maxBatchSize(), s.options().maxBatchTokens(),
                        s.options().sortByLength(), select(encoded, sample));
                runners.add(r);
                encodedPerRow.add(encoded);
                forwardsPerRow.add(forwards);
                if (sample.length == texts.size()) {
                    r.warmUp();
                }
            }
            boolean sampled = sample.length < texts.size();
            List<float[][]> outputs = new ArrayList<>();
            if (sampled) {
                outputs.addAll(fidelityOutputs(setups, runners, encodedPerRow, forwardsPerRow, texts.size(), log));
            }
            Task task = engines.get(0).info().task();
            List<EncodedText> all = encodedPerRow.get(0);
            long tokens = all.stream().mapToLong(EncodedText::length).sum();
            long timedTokens = java.util.Arrays.stream(sample).mapToLong(i -> all.get(i).length()).sum();
            List<List<Double>> seconds = new ArrayList<>();
            List<List<Double>> batches = new ArrayList<>();
            for (int i = 0; i < setups.size(); i++) {
                seconds.add(new ArrayList<>());
                batches.add(new ArrayList<>());
            }
            for (int p = 0; p < o.passes(); p++) {
                log.accept("pass " + (p + 1) + " of " + o.passes()
                        + (sampled ? ", each row timed on " + sample.length + " of the " + texts.size() + " texts" : ""));
                for (int i = 0; i < setups.size(); i++) {
                    PassRunner.Pass pass = runners.get(i).run();
                    seconds.get(i).add(pass.seconds());
                    batches.get(i).addAll(pass.batchMillis());
                    if (p == 0 && !sampled) {
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
                notes.add(String.format(java.util.Locale.ROOT, "PyTorch eager vs ONNX Runtime (same weights, %s): "
                        + "max |diff| %.2g", sampled ? "the same length-sorted batches of all " + texts.size() + " texts"
                        : "one text at a time", maxDiff(outputs.get(eagerRow), outputs.get(ortRow))));
            }
            List<BenchRow> steps = new ArrayList<>();
            List<BenchRow> comparisons = new ArrayList<>();
            double base = 0;
            double previous = 0;
            for (int i = 0; i < setups.size(); i++) {
                Throughput t = new Throughput(sample.length, Throughput.toArray(seconds.get(i)),
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
            return new BenchReport(model.name(), texts.size(), tokens, sample.length, timedTokens, SAMPLE_SEED,
                    o.passes(), env, steps, comparisons, sweep, notes, scaling);
        } finally {
            runners.forEach(PassRunner::close);
            engines.forEach(Engine::close);
            eagerModels.forEach(EagerRuntime.Forward::close);
        }
    }

    /** What computes the same function: the runtime, the graph file and ONNX Runtime's optimization level. */
    private record Variant(boolean eager, Path onnxFile, GraphOptimization level) {
        static Variant of(Setup s) {
            return new Variant(s.eager(), s.folder().onnxFile(), s.eager() ? null : s.options().graphOptimization());
        }
    }

    /**
     * Every row's outputs for fidelity when the rows are timed on a sample: each variant's outputs for
     * all texts, computed once in length-sorted batches (the fast way) by the row of that variant that
     * takes the largest batches; rows that differ from it only in how they batch get the same outputs.
     * That pass also warms its row up; the other rows warm up on one batch of their own plan.
     */
    private static List<float[][]> fidelityOutputs(List<Setup> setups, List<PassRunner> runners,
                                                   List<List<EncodedText>> encoded,
                                                   List<List<PassRunner.Forward>> forwards, int texts,
                                                   Consumer<String> log) {
        Map<Variant, Integer> computedBy = new LinkedHashMap<>();
        for (int i = 0; i < setups.size(); i++) {
            computedBy.merge(Variant.of(setups.get(i)), i, (a, b) ->
                    setups.get(b).options().maxBatchSize() > setups.get(a).options().maxBatchSize() ? b : a);
        }
        Map<Variant, float[][]> byVariant = new LinkedHashMap<>();
        for (Map.Entry<Variant, Integer> e : computedBy.entrySet()) {
            Setup s = setups.get(e.getValue());
            log.accept("fidelity outputs of " + s.step() + " for all " + texts + " texts, in length-sorted batches");
            try (PassRunner all = new PassRunner(forwards.get(e.getValue()), s.options().maxBatchSize(),
                    s.options().maxBatchTokens(), true, encoded.get(e.getValue()))) {
                byVariant.put(e.getKey(), all.run().outputs());
            }
        }
        List<float[][]> outputs = new ArrayList<>();
        for (int i = 0; i < setups.size(); i++) {
            Variant v = Variant.of(setups.get(i));
            if (computedBy.get(v) != i) {
                runners.get(i).warmUp(1);
            }
            outputs.add(byVariant.get(v));
        }
        return outputs;
    }

    private static int[] lengths(List<EncodedText> encoded) {
        return encoded.stream().mapToInt(EncodedText::length).toArray();
    }

    private static List<EncodedText> select(List<EncodedText> encoded, int[] indices) {
        List<EncodedText> chosen = new ArrayList<>(indices.length);
        for (int i : indices) {
            chosen.add(encoded.get(i));
        }
        return chosen;
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
