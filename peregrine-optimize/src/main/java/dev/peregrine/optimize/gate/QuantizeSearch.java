package dev.peregrine.optimize.gate;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.LoadWarnings;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.TextTokenizer;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.OnnxFormatException;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.ModelFiles;
import dev.peregrine.optimize.bench.Benchmark;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.quantize.ActivationStats;
import dev.peregrine.optimize.quantize.Calibrator;
import dev.peregrine.optimize.quantize.Int8Quantizer;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.quantize.Smoothing;
import dev.peregrine.optimize.quantize.StaticInt8Quantizer;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code quantize}: builds the model the target CPU calls for, checks it against the fidelity gate,
 * and when it fails tries the {@link Remedy remedies} in order, each on top of the most faithful
 * attempt so far, until one passes. Every attempt's fidelity and (briefly measured) speed is
 * reported, so the user sees what each remedy cost.
 *
 * <p>The folder written always says how it went: graph metadata ({@code peregrine.fidelity},
 * {@code peregrine.validated_on}, {@code peregrine.quantization.remedy}) and, when nothing passed,
 * the most faithful attempt with a {@value #FAILED_NOTE} beside it; loaders then warn (see
 * {@link LoadWarnings}).
 */
public final class QuantizeSearch {

    /** Texts each attempt's speed is measured on (the first of the validation texts), one pass. */
    public static final int TIMING_TEXTS = 128;
    /** Texts each product's own effect is measured on when looking for those to keep in float. */
    public static final int SENSITIVITY_TEXTS = 48;
    /** The note a folder gets when its model failed the gate. */
    public static final String FAILED_NOTE = "FAILED.txt";
    /** Smoothing strengths the smoothing remedy tries, in order. */
    static final List<Smoothing> SMOOTHING_TRIES = List.of(Smoothing.auto(), Smoothing.fixed(0.8), Smoothing.off());

    private QuantizeSearch() {
    }

    /**
     * @param modes       what the first attempts are made as: one mode, or int8-dynamic and int8-static to
     *                    keep static where it is as fast and as faithful (see {@link #prefersStatic});
     *                    float16 gets no remedies
     * @param start       the first attempt's INT8 settings (normally {@link QuantizeOptions#recommendedFor})
     * @param fusions     fusions applied first, or null
     * @param calibration texts for smoothing ranges
     * @param keepFloat   op types float16 leaves in float32
     * @param gate        the fidelity bar
     * @param validation  texts (with labels where known) the gate is checked on
     * @param remedies    which remedies may be tried
     * @param timing      measure each attempt's speed briefly
     */
    public record Options(List<QuantMode> modes, QuantizeOptions start, FusionOptions fusions, List<String> calibration,
                          Set<String> keepFloat, ValidationOptions gate, List<TextRecord> validation,
                          Set<Remedy> remedies, boolean timing) {
        public Options {
            modes = List.copyOf(modes);
            if (modes.isEmpty()) {
                throw new IllegalArgumentException("no quantization mode");
            }
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(gate, "gate");
            calibration = List.copyOf(calibration);
            keepFloat = Set.copyOf(keepFloat);
            validation = List.copyOf(validation);
            remedies = Set.copyOf(remedies);
            if (validation.isEmpty()) {
                throw new IllegalArgumentException("no texts to validate on");
            }
        }

        /** One mode. */
        public Options(QuantMode mode, QuantizeOptions start, FusionOptions fusions, List<String> calibration,
                       Set<String> keepFloat, ValidationOptions gate, List<TextRecord> validation,
                       Set<Remedy> remedies, boolean timing) {
            this(List.of(mode), start, fusions, calibration, keepFloat, gate, validation, remedies, timing);
        }
    }

    /**
     * One model built and checked.
     *
     * @param name           short name (the remedy, or "as chosen")
     * @param change         what differs from the attempt it was built on
     * @param mode           what it was converted to
     * @param options        its INT8 settings
     * @param validation     its fidelity against the original
     * @param itemsPerSecond measured speed, NaN when timing was off
     * @param outcome        what the conversion wrote (in the work folder)
     */
    public record Attempt(String name, String change, QuantMode mode, QuantizeOptions options,
                          ValidationReport validation, double itemsPerSecond, ModelConversion.Outcome outcome) {
        public boolean passed() {
            return validation.passed();
        }
    }

    /**
     * How the search went.
     *
     * @param attempts            every attempt, in order
     * @param chosen              the attempt written: the first that passed, else the most faithful
     * @param passed              whether {@code chosen} passed the gate
     * @param floatItemsPerSecond the original's speed, NaN when timing was off
     * @param sensitivity         products by their measured effect, worst first (empty unless keep-float ran)
     * @param modeChoice          why the chosen INT8 mode was chosen over the other, or null
     * @param onnxFile            the model written
     * @param metadata            the graph metadata written
     */
    public record Result(List<Attempt> attempts, Attempt chosen, boolean passed, double floatItemsPerSecond,
                         List<String> sensitivity, String modeChoice, Path onnxFile, Map<String, String> metadata) {

        public Result {
            attempts = List.copyOf(attempts);
            sensitivity = List.copyOf(sensitivity);
            metadata = Map.copyOf(metadata);
        }

        /** The attempts table and the verdict, for the command line. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            int texts = chosen.validation().texts();
            out.add("attempts (fidelity on " + texts + " texts" + (Double.isNaN(floatItemsPerSecond) ? ""
                    : "; speed on up to " + TIMING_TEXTS + " of them, one pass, on this CPU") + "):");
            if (!Double.isNaN(floatItemsPerSecond)) {
                out.add(String.format("  float32 (the original): %.1f items/s", floatItemsPerSecond));
            }
            for (Attempt a : attempts) {
                String speed = Double.isNaN(a.itemsPerSecond()) ? ""
                        : String.format("   %.1f items/s", a.itemsPerSecond())
                        + (Double.isNaN(floatItemsPerSecond) ? ""
                        : String.format(" (%.2fx float32)", a.itemsPerSecond() / floatItemsPerSecond));
                out.add("  " + (attempts.indexOf(a) + 1) + " " + a.name() + ": " + a.change());
                out.add("      " + fidelity(a.validation()) + speed
                        + (a.passed() ? "   passed" : "   below the bar: " + String.join("; ", a.validation().failures())));
            }
            if (!sensitivity.isEmpty()) {
                out.add("products by measured effect, worst first: " + String.join(", ",
                        sensitivity.subList(0, Math.min(6, sensitivity.size())))
                        + (sensitivity.size() > 6 ? ", ..." : ""));
            }
            if (modeChoice != null) {
                out.add("mode: " + modeChoice);
            }
            String which = "attempt " + (attempts.indexOf(chosen) + 1) + " (" + chosen.name() + ")";
            out.add(passed ? "chose " + which + ": " + metadata.get(LoadWarnings.FIDELITY_KEY)
                    : "FAILED: no attempt passed the fidelity bar; wrote the most faithful, " + which + ", with "
                    + FAILED_NOTE + " beside it");
            out.add("wrote " + onnxFile);
            return out;
        }
    }

    /** A fidelity summary in a few words. */
    static String fidelity(ValidationReport r) {
        if (r.embedding() != null) {
            return String.format("mean %.4f  p1 %.4f", r.embedding().cosineMean(), r.embedding().cosineP1());
        }
        ValidationReport.ClassifierAgreement c = r.classification();
        return String.format("agreement %.4f", c.labelAgreement())
                + (c.accuracyDrop() == null ? "" : String.format("  acc. drop %.4f", c.accuracyDrop()));
    }

    /**
     * How far an attempt is above its bar (negative: below), the smallest margin of its conditions:
     * what "most faithful" means when none passes.
     */
    public static double margin(ValidationReport r, ValidationOptions gate) {
        if (r.embedding() != null) {
            return Math.min(r.embedding().cosineMean() - gate.minCosine(), r.embedding().cosineP1() - gate.minP1Cosine());
        }
        ValidationReport.ClassifierAgreement c = r.classification();
        double m = c.labelAgreement() - gate.minAgreement();
        if (c.accuracyDrop() != null && !Double.isNaN(gate.maxAccuracyDrop())) {
            m = Math.min(m, gate.maxAccuracyDrop() - c.accuracyDrop());
        }
        return m;
    }

    /**
     * Runs the search and writes {@code out/model.onnx} with the source's tokenizer and config.
     *
     * @throws PeregrineException as {@link ModelConversion#convert} does
     */
    public static Result run(ModelFolder source, Path out, Options o, Consumer<String> log) {
        Objects.requireNonNull(source, "source");
        // Before any work: the candidates are written under the output folder, which must not be the source.
        source.requireOutputElsewhere(out);
        Path work = out.resolve(".candidates");
        try (Engine reference = Engine.open(source, EngineOptions.defaults())) {
            Search s = new Search(source, work, o, reference, log);
            s.run();
            Attempt chosen = s.chosen();
            return write(source, out, o, s, chosen);
        } finally {
            deleteRecursively(work);
        }
    }

    private static Result write(ModelFolder source, Path out, Options o, Search s, Attempt chosen) {
        boolean passed = chosen.passed();
        Map<String, String> meta = new LinkedHashMap<>(chosen.outcome().metadata());
        String verdict = (passed ? "passed: " : "FAILED: ") + String.join("; ", gateSentence(chosen.validation(), o.gate()))
                + " on " + chosen.validation().texts() + " texts";
        meta.put(LoadWarnings.FIDELITY_KEY, verdict);
        meta.put("peregrine.validated_on", CpuFeatures.detect().summary());
        meta.put("peregrine.quantization.remedy", s.attempts.indexOf(chosen) < s.firstAttempts ? "none"
                : chosen.name() + ": " + chosen.change());
        if (s.modeChoice != null) {
            meta.put("peregrine.quantization.mode_choice", s.modeChoice);
        }
        Path file = out.resolve("model.onnx");
        Path note = out.resolve(FAILED_NOTE);
        try {
            ModelProto model = OnnxModel.withMetadata(OnnxModel.read(chosen.outcome().onnxFile()), meta);
            Files.createDirectories(out);
            ModelFiles.copySupportFiles(source.root(), out);
            OnnxModel.write(model, file);
            if (passed) {
                Files.deleteIfExists(note);
            } else {
                Files.writeString(note, failureNote(source, o, s.attempts, chosen, verdict));
            }
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write " + file + ": " + e.getMessage(), e);
        } catch (OnnxFormatException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, e.getMessage(), e);
        }
        return new Result(s.attempts, chosen, passed, s.floatSpeed, s.sensitivity, s.modeChoice, file, meta);
    }

    /** Each condition of the gate with the attempt's value, e.g. "mean cosine 0.9946 >= 0.99". */
    private static List<String> gateSentence(ValidationReport r, ValidationOptions gate) {
        if (!r.passed()) {
            return r.failures();
        }
        List<String> out = new ArrayList<>();
        if (r.embedding() != null) {
            out.add(String.format("mean cosine %.4f >= %s", r.embedding().cosineMean(), plain(gate.minCosine())));
            out.add(String.format("p1 cosine %.4f >= %s", r.embedding().cosineP1(), plain(gate.minP1Cosine())));
        } else {
            out.add(String.format("label agreement %.4f >= %s", r.classification().labelAgreement(),
                    plain(gate.minAgreement())));
            if (r.classification().accuracyDrop() != null && !Double.isNaN(gate.maxAccuracyDrop())) {
                out.add(String.format("accuracy drop %.4f <= %s", r.classification().accuracyDrop(),
                        plain(gate.maxAccuracyDrop())));
            }
        }
        return out;
    }

    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static String failureNote(ModelFolder source, Options o, List<Attempt> attempts, Attempt chosen,
                                      String verdict) {
        StringBuilder b = new StringBuilder();
        b.append("THIS MODEL FAILED PEREGRINE'S FIDELITY CHECK\n\n");
        b.append("model.onnx here is the most faithful of ").append(attempts.size()).append(" INT8 attempt(s) made from ")
                .append(source.name()).append(", and it is still below the bar:\n  ").append(verdict).append("\n\n");
        b.append("Its answers may differ from the original's more than the bar allows. Loading it logs a warning.\n");
        b.append("What was tried:\n");
        for (Attempt a : attempts) {
            b.append("  ").append(a.name()).append(": ").append(a.change()).append(" -> ").append(fidelity(a.validation()))
                    .append('\n');
        }
        b.append("\nWhat to do: serve the float32 original, lower the bar knowingly (--min-cosine, --min-p1-cosine, ")
                .append("--min-agreement), allow more remedies (--remedies all), or give calibration texts like ")
                .append("yours (--calibration).\n");
        b.append("Made on: ").append(CpuFeatures.detect().summary()).append('\n');
        return b.toString();
    }

    static final String FIRST = "target choice";
    /** Static INT8 is kept when it runs at least this share of dynamic's items/s (one short pass is noisy). */
    public static final double STATIC_SPEED_TOLERANCE = 0.95;
    /** ... and its gate margin (cosine or agreement) is at most this much below dynamic's. */
    public static final double STATIC_FIDELITY_TOLERANCE = 0.002;

    /**
     * The rule that makes int8-static the default where it costs nothing: both passed the gate, static
     * ran at least {@link #STATIC_SPEED_TOLERANCE} of dynamic's speed, and its margin over the bar is
     * within {@link #STATIC_FIDELITY_TOLERANCE} of dynamic's. Static's answers do not depend on batch
     * companions (cacheable, reproducible), which is worth a tie. Pure.
     */
    public static boolean prefersStatic(double staticSpeed, double dynamicSpeed, double staticMargin,
                                        double dynamicMargin) {
        return staticSpeed >= STATIC_SPEED_TOLERANCE * dynamicSpeed
                && staticMargin >= dynamicMargin - STATIC_FIDELITY_TOLERANCE;
    }

    /** The state of one search. */
    private static final class Search {
        final ModelFolder source;
        final Path work;
        final Options o;
        final Engine reference;
        final Consumer<String> log;
        final List<Attempt> attempts = new ArrayList<>();
        List<String> sensitivity = List.of();
        double floatSpeed = Double.NaN;
        int firstAttempts;
        Attempt picked;
        String modeChoice;

        Search(ModelFolder source, Path work, Options o, Engine reference, Consumer<String> log) {
            this.source = source;
            this.work = work;
            this.o = o;
            this.reference = reference;
            this.log = log;
        }

        Attempt best() {
            return attempts.stream().max(Comparator.comparingDouble(a -> margin(a.validation(), o.gate())))
                    .orElseThrow();
        }

        Attempt chosen() {
            return picked != null ? picked : attempts.stream().filter(Attempt::passed).findFirst().orElseGet(this::best);
        }

        boolean done() {
            return attempts.stream().anyMatch(Attempt::passed);
        }

        void run() {
            if (o.timing()) {
                log.accept("timing the float32 original");
                floatSpeed = speed(source);
            }
            QuantizeOptions start = o.start();
            List<QuantMode> modes = new ArrayList<>(o.modes());
            if (modes.size() > 1 && modes.contains(QuantMode.INT8_STATIC) && (!o.timing() || o.calibration().isEmpty())) {
                modes.remove(QuantMode.INT8_STATIC);
                modeChoice = "int8-static was not compared (" + (o.timing() ? "no calibration texts" : "timing is off")
                        + "); " + modes.get(0).id() + " as asked";
            }
            for (QuantMode m : modes) {
                attempt(modes.size() > 1 ? m.id() : FIRST, m.isInt8() ? m.id() + " for " + start.target().id() + ": "
                        + describe(start) : m.id(), start, m);
            }
            firstAttempts = attempts.size();
            if (modes.size() > 1) {
                chooseMode();
            }
            if (done() || !best().mode().isInt8()) {
                return;
            }
            if (o.remedies().contains(Remedy.REDUCE_RANGE) && !best().options().reduceRange()) {
                QuantizeOptions q = best().options().withReduceRange(true);
                if (attempt(Remedy.REDUCE_RANGE.id(), describe(q), q, best().mode()).passed()) {
                    return;
                }
            }
            if (o.remedies().contains(Remedy.SMOOTHING)) {
                QuantizeOptions base = best().options();
                QuantMode mode = best().mode();
                for (Smoothing s : SMOOTHING_TRIES) {
                    if (s.equals(base.smoothing()) || (s.enabled() && o.calibration().isEmpty())) {
                        continue;
                    }
                    QuantizeOptions q = base.withSmoothing(s);
                    if (attempt(Remedy.SMOOTHING.id(), describe(q), q, mode).passed()) {
                        return;
                    }
                }
            }
            if (o.remedies().contains(Remedy.PER_CHANNEL) && !best().options().perChannel()) {
                QuantizeOptions q = best().options().withPerChannel(true);
                if (attempt(Remedy.PER_CHANNEL.id(), describe(q), q, best().mode()).passed()) {
                    return;
                }
            }
            if (o.remedies().contains(Remedy.KEEP_FLOAT)) {
                keepFloat(best().options(), best().mode());
            }
        }

        /** Dynamic and static both made: keep static where {@link #prefersStatic} says so. */
        private void chooseMode() {
            Attempt d = attempts.stream().filter(a -> a.mode() == QuantMode.INT8_DYNAMIC).findFirst().orElse(null);
            Attempt st = attempts.stream().filter(a -> a.mode() == QuantMode.INT8_STATIC).findFirst().orElse(null);
            if (d == null || st == null) {
                return;
            }
            String speeds = String.format("%.1f vs %.1f items/s", st.itemsPerSecond(), d.itemsPerSecond());
            String fidelities = fidelity(st.validation()) + " vs " + fidelity(d.validation());
            if (st.passed() && d.passed()) {
                boolean keepStatic = prefersStatic(st.itemsPerSecond(), d.itemsPerSecond(),
                        margin(st.validation(), o.gate()), margin(d.validation(), o.gate()));
                picked = keepStatic ? st : d;
                modeChoice = keepStatic
                        ? "int8-static: as fast as int8-dynamic on this CPU (" + speeds + ") and as faithful ("
                        + fidelities + "), and batch-invariant"
                        : "int8-dynamic: int8-static was slower or less faithful on this CPU (" + speeds + "; "
                        + fidelities + ")";
            } else if (st.passed() || d.passed()) {
                picked = st.passed() ? st : d;
                modeChoice = picked.mode().id() + ": the other mode is below the fidelity bar";
            } else {
                modeChoice = "neither mode passed; remedies are tried on " + best().mode().id() + ", the more faithful";
            }
        }

        /** Measures each product's own effect, then keeps the worst 1, 2, 4, ... (up to half) in float. */
        private void keepFloat(QuantizeOptions base, QuantMode mode) {
            List<String> ranked = rankProducts(base, mode);
            sensitivity = ranked;
            int limit = ranked.size() / 2;
            for (int k = 1; k <= limit; k = k < limit && k * 2 > limit ? limit : k * 2) {
                List<String> exclude = new ArrayList<>(base.exclude());
                exclude.addAll(ranked.subList(0, k));
                QuantizeOptions q = base.withExclude(exclude);
                if (attempt(Remedy.KEEP_FLOAT.id(), k + " of " + ranked.size() + " products in float: "
                        + String.join(", ", ranked.subList(0, Math.min(k, 3))) + (k > 3 ? ", ..." : ""), q, mode).passed()
                        || k == limit) {
                    return;
                }
            }
        }

        private List<String> rankProducts(QuantizeOptions base, QuantMode mode) {
            ModelProto model;
            try {
                model = OnnxModel.read(source.onnxFile());
            } catch (IOException e) {
                throw new PeregrineException(ErrorKind.IO, "cannot read " + source.onnxFile() + ": " + e.getMessage(), e);
            }
            if (o.fusions() != null) {
                model = TransformerOptimizer.optimize(model, o.fusions()).model();
            }
            List<String> names = Int8Quantizer.productNames(model, base);
            if (names.size() < 2) {
                return names;
            }
            log.accept("measuring the effect of each of " + names.size() + " products on " + SENSITIVITY_TEXTS
                    + " texts");
            ActivationStats stats = null;
            if ((base.smoothing().enabled() || mode == QuantMode.INT8_STATIC) && !o.calibration().isEmpty()) {
                int maxLength = Math.min(source.config().maxLength(), 512);
                try (TextTokenizer tokenizer = TextTokenizer.load(source.tokenizerFile(), maxLength)) {
                    stats = Calibrator.collect(model, Int8Quantizer.inputsToCalibrate(model, base),
                            tokenizer.encodeAll(o.calibration()));
                }
            }
            List<String> sample = spread(o.validation().stream().map(TextRecord::text).toList(), SENSITIVITY_TEXTS);
            float[][] expected = reference.run(reference.encode(sample));
            Path probe = work.resolve("probe");
            ModelFiles.copySupportFiles(source.root(), probe);
            Map<String, Double> effect = new LinkedHashMap<>();
            for (String name : names) {
                List<String> others = new ArrayList<>(base.exclude());
                names.stream().filter(n -> !n.equals(name)).forEach(others::add);
                QuantizeOptions q = base.withExclude(others);
                ModelProto only = (mode == QuantMode.INT8_STATIC ? StaticInt8Quantizer.quantize(model, q, stats)
                        : Int8Quantizer.quantize(model, q, stats)).model();
                try {
                    OnnxModel.write(only, probe.resolve("model.onnx"));
                } catch (IOException e) {
                    throw new PeregrineException(ErrorKind.IO, "cannot write " + probe + ": " + e.getMessage(), e);
                }
                try (Engine e = Engine.open(ModelFolder.open(probe, "model", source.name() + "-probe"),
                        EngineOptions.defaults())) {
                    effect.put(name, distance(expected, e.run(e.encode(sample)), reference.info().task()));
                }
            }
            List<String> ranked = new ArrayList<>(names);
            ranked.sort(Comparator.comparingDouble((String n) -> effect.get(n)).reversed());
            return ranked;
        }

        private Attempt attempt(String name, String change, QuantizeOptions q, QuantMode mode) {
            String variant = "attempt-" + (attempts.size() + 1);
            log.accept("building " + variant + " (" + name + ": " + change + ")");
            ModelConversion.Outcome outcome = ModelConversion.convert(source, work, variant,
                    new ModelConversion.Settings(o.fusions(), mode, q, o.calibration(), o.keepFloat()));
            ModelFolder folder = ModelFolder.open(work, variant, source.name() + "-" + variant);
            ValidationReport report;
            try (Engine candidate = Engine.open(folder, EngineOptions.defaults())) {
                report = dev.peregrine.optimize.validate.Validator.compare(reference, candidate, o.validation(), o.gate());
            }
            double speed = Double.NaN;
            if (o.timing()) {
                log.accept("timing " + variant);
                speed = speed(folder);
            }
            Attempt a = new Attempt(name, change, mode, q, report, speed, outcome);
            attempts.add(a);
            log.accept(variant + ": " + fidelity(report) + (report.passed() ? " passed" : " failed"));
            return a;
        }

        private double speed(ModelFolder folder) {
            List<String> texts = o.validation().stream().map(TextRecord::text).limit(TIMING_TEXTS).toList();
            return Benchmark.measure(folder, texts, 1, 0, true, EngineOptions.DEFAULT_MAX_BATCH_TOKENS,
                    EngineOptions.DEFAULT_MAX_BATCH_SIZE, 1, line -> { }).itemsPerSecond();
        }
    }

    /** Embedders: 1 - mean cosine; classifiers: mean largest probability difference. */
    static double distance(float[][] expected, float[][] actual, Task task) {
        double total = 0;
        for (int i = 0; i < expected.length; i++) {
            if (task == Task.EMBEDDING) {
                total += 1 - Vectors.cosine(expected[i], actual[i]);
            } else {
                double d = 0;
                for (int c = 0; c < expected[i].length; c++) {
                    d = Math.max(d, Math.abs(expected[i][c] - actual[i][c]));
                }
                total += d;
            }
        }
        return total / expected.length;
    }

    /** Up to n items spread evenly over the list (the validation set is ordered by kind). */
    static List<String> spread(List<String> all, int n) {
        if (all.size() <= n) {
            return all;
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(all.get((int) ((long) i * all.size() / n)));
        }
        return out;
    }

    /** "8-bit weights, per channel, smoothing 0.6" and the like. */
    static String describe(QuantizeOptions q) {
        return (q.reduceRange() ? "7-bit" : "8-bit") + " weights, " + (q.perChannel() ? "per channel" : "per tensor")
                + ", smoothing " + q.smoothing() + (q.exclude().isEmpty() ? "" : ", " + q.exclude().size() + " in float");
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover candidates folder is harmless
        }
    }
}
