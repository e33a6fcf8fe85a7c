package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.quantize.Float16Converter;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * One model in float32, dynamic INT8 and static (batch-invariant) INT8, in one process on the same
 * texts: items/s, fidelity against float32, and how far a text's output moves between running alone
 * and running inside a batch. Both INT8 variants are made by the program with the
 * {@code peregrine quantize} defaults (fusions, per-channel weights, smoothing 0.6, the 80 built-in
 * calibration texts, the weight range chosen for this CPU), {@code --reduce-range} to force 7-bit weights. Timed rounds rotate the order of the
 * three models so that a shared machine's noise hits all alike; the table reports the median round.
 *
 * <pre>
 * peregrine-benchmarks/run QuantModesBenchmark [--model all-minilm-l6-v2] [--rounds 5] [--reduce-range] [--json FILE]
 * </pre>
 */
public final class QuantModesBenchmark {

    /** Texts checked alone against inside one batch (the first of the validation set). */
    private static final int BATCH_CHECK = 32;

    private record Variant(String name, ModelFolder folder, double convertSeconds) {
    }

    private record Row(String name, double itemsPerSecond, double[] rounds, double cosineMean, double cosineP1,
                       double cosineMin, double labelAgreement, double batchDependence, long bytes,
                       double convertSeconds) {
    }

    public static void main(String[] args) throws IOException {
        int rounds = 5;
        String model = "all-minilm-l6-v2";
        boolean reduceRange = false;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--model" -> model = args[++i];
                case "--reduce-range" -> reduceRange = true;
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --model NAME|DIR, --rounds N, --reduce-range, --json FILE)");
            }
        }
        List<String> texts = DefaultTexts.validation();
        List<TextRecord> records = texts.stream().map(TextRecord::of).toList();
        System.err.printf(Locale.ROOT, "%d validation texts, %d rounds, %s, %d cores, ISA: %s%n", texts.size(), rounds,
                Machine.cpuModel(), Runtime.getRuntime().availableProcessors(), Machine.instructionSets());

        ModelFolder fp32 = ModelResolver.standard().resolve(model);
        Path dir = Files.createTempDirectory("peregrine-quant-modes");
        // The quantize defaults for this CPU (which pick the weight range); --reduce-range forces 7-bit.
        QuantizeOptions options = reduceRange ? QuantizeOptions.recommended().withReduceRange(true)
                : QuantizeOptions.recommended();
        reduceRange = options.reduceRange();
        List<Variant> variants = List.of(new Variant("float32", fp32, 0),
                convert(fp32, dir, QuantMode.INT8_DYNAMIC, options),
                convert(fp32, dir, QuantMode.INT8_STATIC, options));

        List<Engine> engines = new ArrayList<>();
        try {
            for (Variant v : variants) {
                engines.add(Engine.open(v.folder(), EngineOptions.defaults()));
            }
            List<EncodedText> encoded = engines.get(0).encode(texts);
            double[][] rates = new double[variants.size()][rounds];
            engines.forEach(e -> e.run(encoded));   // warm-up, untimed
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < variants.size(); k++) {
                    int m = (r + k) % variants.size();
                    rates[m][r] = rate(engines.get(m), encoded);
                }
            }
            List<Row> rows = new ArrayList<>();
            for (int m = 0; m < variants.size(); m++) {
                Engine e = engines.get(m);
                ValidationReport report = m == 0 ? null
                        : Validator.compare(engines.get(0), e, records, ValidationOptions.defaults());
                ValidationReport.EmbeddingAgreement emb = report == null ? null : report.embedding();
                ValidationReport.ClassifierAgreement cls = report == null ? null : report.classification();
                rows.add(new Row(variants.get(m).name(), Rounds.median(rates[m]), rates[m],
                        emb == null ? (report == null ? 1 : Double.NaN) : emb.cosineMean(),
                        emb == null ? (report == null ? 1 : Double.NaN) : emb.cosineP1(),
                        emb == null ? (report == null ? 1 : Double.NaN) : emb.cosineMin(),
                        cls == null ? (report == null ? 1 : Double.NaN) : cls.labelAgreement(),
                        batchDependence(e, encoded.subList(0, Math.min(BATCH_CHECK, encoded.size()))),
                        Files.size(variants.get(m).folder().onnxFile()), variants.get(m).convertSeconds()));
            }
            print(fp32.name(), reduceRange, rows);
            if (json != null) {
                writeJson(json, fp32.name(), texts.size(), rounds, reduceRange, rows);
            }
        } finally {
            engines.forEach(Engine::close);
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Variant convert(ModelFolder source, Path dir, QuantMode mode, QuantizeOptions options) {
        long start = System.nanoTime();
        Path out = dir.resolve(mode.id());
        ModelConversion.convert(source, out, "model", new ModelConversion.Settings(FusionOptions.defaults(), mode,
                options, DefaultTexts.calibration(), Float16Converter.DEFAULT_KEEP_FLOAT));
        return new Variant(mode.id(), ModelFolder.open(out, "model", source.name() + "-" + mode.id()),
                (System.nanoTime() - start) / 1e9);
    }

    /** Items/s of one pass over all texts with the engine's own batching (sorted, token-budgeted). */
    private static double rate(Engine engine, List<EncodedText> texts) {
        long start = System.nanoTime();
        engine.run(texts);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** The largest difference of any output value between a text alone and inside one batch of {@code texts}. */
    private static double batchDependence(Engine engine, List<EncodedText> texts) {
        float[][] together = engine.forward(texts);
        double worst = 0;
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = engine.forward(List.of(texts.get(i)))[0];
            for (int j = 0; j < alone.length; j++) {
                worst = Math.max(worst, Math.abs(alone[j] - together[i][j]));
            }
        }
        return worst;
    }

    private static void print(String model, boolean reduceRange, List<Row> rows) {
        double fp32 = rows.get(0).itemsPerSecond();
        double dynamic = rows.get(1).itemsPerSecond();
        System.out.println();
        System.out.printf(Locale.ROOT, "%s, weights %s%n%n", model, reduceRange ? "7-bit (reduced range)" : "8-bit");
        System.out.println("| variant | items/s | vs float32 | vs int8-dynamic | cosine mean | p1 | min | label agreement "
                + "| alone vs in a batch (max diff) | ONNX file |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.2fx | %.2fx | %.4f | %.4f | %.4f | %.4f | %.1e | %.1f MB |%n",
                    r.name(), r.itemsPerSecond(), r.itemsPerSecond() / fp32, r.itemsPerSecond() / dynamic,
                    r.cosineMean(), r.cosineP1(), r.cosineMin(), r.labelAgreement(), r.batchDependence(),
                    r.bytes() / 1e6);
        }
        System.out.println();
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "rounds %s items/s: %s%s%n", r.name(), Arrays.toString(round(r.rounds())),
                    r.convertSeconds() > 0 ? String.format(Locale.ROOT, " (conversion %.1f s)", r.convertSeconds()) : "");
        }
    }

    private static void writeJson(Path json, String model, int texts, int rounds, boolean reduceRange, List<Row> rows)
            throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("benchmark", "QuantModesBenchmark");
        root.put("date", LocalDate.now().toString());
        root.put("cpu", Machine.cpuModel());
        root.put("isa", Machine.instructionSets());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("model", model);
        root.put("texts", texts);
        root.put("rounds", rounds);
        root.put("reduce_range", reduceRange);
        ArrayNode variants = root.putArray("variants");
        for (Row r : rows) {
            ObjectNode v = variants.addObject();
            v.put("variant", r.name());
            v.put("items_per_s", r.itemsPerSecond());
            ArrayNode rs = v.putArray("rounds");
            Arrays.stream(r.rounds()).forEach(rs::add);
            v.put("cosine_mean", r.cosineMean());
            v.put("cosine_p1", r.cosineP1());
            v.put("cosine_min", r.cosineMin());
            v.put("label_agreement", r.labelAgreement());
            v.put("batch_dependence_max_abs_diff", r.batchDependence());
            v.put("bytes", r.bytes());
        }
        Files.writeString(json, mapper.writeValueAsString(root));
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 10) / 10.0).toArray();
    }
}
