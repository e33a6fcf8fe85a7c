package dev.peregrine.optimize.tune;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.ModelFiles;
import dev.peregrine.optimize.bench.Benchmark;
import dev.peregrine.optimize.bench.SweepRow;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.gate.QuantizeSearch;
import dev.peregrine.optimize.quantize.Int8Choice;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code peregrine optimize}: builds the candidate variants of a model (float32 with fusions; INT8
 * with and without smoothing), keeps those that pass the fidelity bar against the original,
 * measures them, sweeps the serving settings of the fastest, and writes it as a model folder with
 * ONNX Runtime's pre-optimized graph and a {@code peregrine.json} that {@code serve} reads.
 *
 * <p>The original float32 model is always a candidate, so a model whose conversions all fail the
 * bar still gets its best serving settings.
 */
public final class Autotuner {

    /** The file name of ONNX Runtime's saved, already-optimized graph in the output folder. */
    public static final String ORT_OPTIMIZED = "model.ort-optimized.onnx";

    /** The name of the static INT8 variant. */
    static final String STATIC = "int8-static";

    private Autotuner() {
    }

    /**
     * @param fidelity    the bar a variant must pass
     * @param texts       validation and timing texts
     * @param calibration texts for INT8 smoothing
     * @param passes      measured passes per timing
     * @param sweep       whether to sweep serving settings (otherwise 1 instance, all cores)
     * @param timeBudget  how long the whole run may take, or null: once it is spent, the sweep stops
     *                    with the best setting so far (or is skipped); building, validating and
     *                    timing the variants always finish, since the choice needs them
     * @param target      the CPU the INT8 variants are made for (weight range; recorded in the model)
     */
    public record Options(ValidationOptions fidelity, List<String> texts, List<String> calibration, int passes,
                          boolean sweep, java.time.Duration timeBudget, CpuTarget target) {
        public Options {
            Objects.requireNonNull(fidelity, "fidelity");
            Objects.requireNonNull(target, "target");
            texts = List.copyOf(texts);
            calibration = List.copyOf(calibration);
            if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
                throw new IllegalArgumentException("time budget must be positive, was " + timeBudget);
            }
        }

        /** For this machine's CPU. */
        public Options(ValidationOptions fidelity, List<String> texts, List<String> calibration, int passes,
                       boolean sweep, java.time.Duration timeBudget) {
            this(fidelity, texts, calibration, passes, sweep, timeBudget, CpuTarget.detect());
        }

        /** No time budget, for this machine's CPU. */
        public Options(ValidationOptions fidelity, List<String> texts, List<String> calibration, int passes,
                       boolean sweep) {
            this(fidelity, texts, calibration, passes, sweep, null, CpuTarget.detect());
        }
    }

    /** One variant tried. */
    public record Candidate(String name, String description, ValidationReport validation, double itemsPerSecond) {
        public boolean passed() {
            return validation == null || validation.passed();
        }
    }

    /** What was chosen and why. */
    public record Result(List<Candidate> candidates, Candidate chosen, List<SweepRow> sweep, SweepRow settings,
                         ServingHints hints, Path folder) {

        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add("candidates (fidelity against the original, throughput with batching on all cores):");
            for (Candidate c : candidates) {
                String fid = c.validation() == null ? "reference"
                        : c.validation().embedding() != null
                        ? String.format("mean cosine %.4f, min %.4f", c.validation().embedding().cosineMean(),
                        c.validation().embedding().cosineMin())
                        : String.format("label agreement %.4f", c.validation().classification().labelAgreement());
                out.add(String.format("  %-22s %-34s %8s  %s", c.name(), fid,
                        Double.isNaN(c.itemsPerSecond()) ? "-" : String.format("%.1f/s", c.itemsPerSecond()),
                        c.passed() ? "" : "below the bar: " + String.join("; ", c.validation().failures())));
            }
            Candidate fastest = candidates.stream().filter(Candidate::passed)
                    .max(Comparator.comparingDouble(Candidate::itemsPerSecond)).orElse(chosen);
            out.add("chose " + chosen.name() + (fastest == chosen || fastest.name().equals(chosen.name())
                    ? ": the fastest variant that passes the fidelity bar"
                    : ": about as fast as the fastest (" + fastest.name() + ") and as faithful, and batch-invariant"));
            if (settings != null) {
                out.add(String.format("serving settings: %d instance(s) x %d thread(s), spinning %s, %d tokens per batch "
                                + "(%.1f texts/s)", settings.instances(), settings.threads(),
                        settings.spinning() ? "on" : "off", settings.maxBatchTokens(), settings.itemsPerSecond()));
            }
            out.add("wrote " + folder);
            return out;
        }
    }

    private record Variant(String name, String description, ModelConversion.Settings settings) {
    }

    /**
     * Runs the whole search and writes {@code out}.
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when {@code out} is not empty
     */
    public static Result run(ModelFolder source, Path out, Options o, Consumer<String> log) {
        requireEmpty(out);
        Path work = out.resolve(".candidates");
        FusionOptions fusions = FusionOptions.defaults();
        List<Variant> variants = new ArrayList<>(List.of(
                new Variant("fp32-fused", "float32 with transformer fusions", ModelConversion.Settings.fuseOnly(fusions)),
                new Variant("int8", "fusions + INT8 for " + o.target().id() + ", per channel, smoothed",
                        new ModelConversion.Settings(fusions, QuantMode.INT8_DYNAMIC,
                                QuantizeOptions.recommendedFor(o.target()), o.calibration(), Set.of())),
                new Variant("int8-unsmoothed", "fusions + INT8 for " + o.target().id() + ", per channel, not smoothed",
                        new ModelConversion.Settings(fusions, QuantMode.INT8_DYNAMIC,
                                QuantizeOptions.recommendedFor(o.target()).withSmoothing(
                                        dev.peregrine.optimize.quantize.Smoothing.off()),
                                List.of(), Set.of()))));
        if (!o.calibration().isEmpty()) {
            variants.add(new Variant(STATIC, "fusions + static INT8 (batch-invariant) for " + o.target().id()
                    + ", per channel, smoothed", new ModelConversion.Settings(fusions, QuantMode.INT8_STATIC,
                    QuantizeOptions.recommendedFor(o.target()), o.calibration(), Set.of())));
        }
        List<TextRecord> records = o.texts().stream().map(TextRecord::of).toList();
        int sweepSteps = o.sweep() ? Benchmark.sweepSize(Benchmark.Options.defaults()) : 0;
        // build each variant, time each that passes (the original too), sweep, write
        Steps steps = new Steps(variants.size() + variants.size() + 1 + sweepSteps + 1, o.timeBudget(), log,
                System::nanoTime);
        EngineOptions timing = EngineOptions.defaults();
        List<Candidate> candidates = new ArrayList<>();
        Map<String, ModelFolder> folders = new LinkedHashMap<>();
        try (Engine reference = Engine.open(source, timing)) {
            candidates.add(new Candidate("original", "the model as given (float32)", null, Double.NaN));
            folders.put("original", source);
            for (Variant v : variants) {
                steps.begin("building and validating " + v.name() + " (" + v.description() + ")");
                ModelConversion.convert(source, work, v.name(), v.settings());
                ModelFolder f = ModelFolder.open(work, v.name(), source.name() + "-" + v.name());
                try (Engine candidate = Engine.open(f, timing)) {
                    ValidationReport report = Validator.compare(reference, candidate, records, o.fidelity());
                    candidates.add(new Candidate(v.name(), v.description(), report, Double.NaN));
                    folders.put(v.name(), f);
                }
            }
        }
        // Time the variants that pass, side by side (round-robin passes inside one measurement each).
        steps.total(variants.size() + (int) candidates.stream().filter(Candidate::passed).count() + sweepSteps + 1);
        List<Candidate> timed = new ArrayList<>();
        for (Candidate c : candidates) {
            if (!c.passed()) {
                timed.add(c);
                continue;
            }
            steps.begin("timing " + c.name());
            SweepRow r = Benchmark.measure(folders.get(c.name()), o.texts(), 1, 0, true,
                    EngineOptions.DEFAULT_MAX_BATCH_TOKENS, EngineOptions.DEFAULT_MAX_BATCH_SIZE, o.passes(), line -> { });
            timed.add(new Candidate(c.name(), c.description(), c.validation(), r.itemsPerSecond()));
        }
        Candidate chosen = preferStatic(timed, timed.stream().filter(Candidate::passed)
                .max(Comparator.comparingDouble(Candidate::itemsPerSecond)).orElseThrow(), o.fidelity());
        ModelFolder chosenFolder = folders.get(chosen.name());

        List<SweepRow> sweep = List.of();
        SweepRow settings = null;
        if (o.sweep() && steps.overBudget()) {
            steps.note("time budget spent: serving sweep skipped (1 instance on all cores)");
            steps.total(steps.done() + 1);
        } else if (o.sweep()) {
            Benchmark.Options bo = Benchmark.Options.defaults().withPasses(o.passes());
            sweep = Benchmark.sweep(chosenFolder, o.texts(), bo, steps::begin, steps::overBudget);
            if (sweep.size() < sweepSteps) {
                steps.note("time budget spent: serving sweep stopped after " + sweep.size() + " of " + sweepSteps
                        + " settings; keeping the best so far");
                steps.total(steps.done() + 1);
            }
            settings = sweep.stream().max(Comparator.comparingDouble(SweepRow::itemsPerSecond)).orElse(null);
        }
        steps.begin("writing " + out);
        ServingHints hints = write(source, chosenFolder, chosen, settings, out, o, line -> { });
        deleteRecursively(work);
        ModelFolder written = ModelFolder.open(out, null, source.name() + "-optimized");
        return new Result(timed, chosen, sweep, settings, hints, written.root());
    }

    /**
     * When the fastest is a dynamic INT8 variant and the static one passed, is about as fast and as
     * faithful ({@link QuantizeSearch#prefersStatic}), the static one: its answers do not depend on
     * batch companions.
     */
    static Candidate preferStatic(List<Candidate> timed, Candidate fastest, ValidationOptions gate) {
        if (!fastest.name().startsWith("int8") || fastest.name().equals(STATIC) || fastest.validation() == null) {
            return fastest;
        }
        return timed.stream().filter(c -> c.name().equals(STATIC) && c.passed() && c.validation() != null)
                .filter(c -> QuantizeSearch.prefersStatic(c.itemsPerSecond(), fastest.itemsPerSecond(),
                        QuantizeSearch.margin(c.validation(), gate), QuantizeSearch.margin(fastest.validation(), gate)))
                .findFirst().orElse(fastest);
    }

    private static ServingHints write(ModelFolder source, ModelFolder chosen, Candidate candidate, SweepRow settings,
                                      Path out, Options o, Consumer<String> log) {
        try {
            Files.createDirectories(out);
            ModelFiles.copySupportFiles(source.root(), out);
            Files.copy(chosen.onnxFile(), out.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write " + out + ": " + e.getMessage(), e);
        }
        log.accept("saving ONNX Runtime's optimized graph");
        ModelFolder written = ModelFolder.open(out, "model", source.name());
        int threads = settings == null ? 0 : settings.threads();
        // Extended level: the saved graph must not depend on this machine's CPU features.
        try (Engine e = Engine.open(written, EngineOptions.builder().graphOptimization(GraphOptimization.EXTENDED)
                .optimizedModelPath(out.resolve(ORT_OPTIMIZED)).build())) {
            Objects.requireNonNull(e);
        }
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("variant", candidate.name() + ": " + candidate.description());
        if (candidate.validation() != null && candidate.validation().embedding() != null) {
            notes.put("mean_cosine", round(candidate.validation().embedding().cosineMean()));
            notes.put("min_cosine", round(candidate.validation().embedding().cosineMin()));
        } else if (candidate.validation() != null) {
            notes.put("label_agreement", round(candidate.validation().classification().labelAgreement()));
        }
        if (candidate.validation() != null && candidate.validation().embedding() != null) {
            notes.put("p1_cosine", round(candidate.validation().embedding().cosineP1()));
        }
        if (candidate.name().startsWith("int8")) {
            Int8Choice choice = Int8Choice.forTarget(o.target());
            notes.put("target_cpu", o.target().id());
            notes.put("weight_range", choice.weightRange());
            notes.put("int8_formats", Int8Choice.formats(candidate.name().equals(STATIC) ? QuantMode.INT8_STATIC
                    : QuantMode.INT8_DYNAMIC));
        }
        notes.put("validated_on", CpuFeatures.detect().summary());
        notes.put("texts_per_second", round(settings != null ? settings.itemsPerSecond() : candidate.itemsPerSecond()));
        notes.put("optimized_by", "peregrine " + ModelFiles.peregrineVersion());
        ServingHints hints = new ServingHints("model", ORT_OPTIMIZED, GraphOptimization.NONE.id(),
                settings == null ? null : settings.threads(), settings == null ? 1 : settings.instances(),
                EngineOptions.DEFAULT_MAX_BATCH_SIZE,
                settings == null ? EngineOptions.DEFAULT_MAX_BATCH_TOKENS : settings.maxBatchTokens(),
                settings == null ? null : settings.spinning(), notes);
        try {
            hints.write(out);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write " + out.resolve(ServingHints.FILE_NAME), e);
        }
        return hints;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    private static void requireEmpty(Path out) {
        try {
            if (Files.isDirectory(out)) {
                try (var list = Files.list(out)) {
                    if (list.findAny().isPresent()) {
                        throw new PeregrineException(ErrorKind.INVALID_INPUT, "--out " + out + " is not empty");
                    }
                }
            }
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot read " + out + ": " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover candidates folder is harmless
        }
    }
}
