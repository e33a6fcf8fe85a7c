package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.datasets.Ticket;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The default ticket classifier in float32 against its Peregrine INT8 conversion (fusions + dynamic
 * INT8, the {@code peregrine quantize} defaults), in one process: held-out accuracy of both, label
 * agreement, and items/s over the held-out tickets. Timed rounds alternate the two models so that a
 * shared machine's noise hits both alike; the table reports the median round and the ratio.
 *
 * <pre>
 * peregrine-benchmarks/run ClassifierBenchmark [--rounds 7] [--model ticket-classifier] [--json FILE]
 * </pre>
 */
public final class ClassifierBenchmark {

    public static void main(String[] args) throws IOException {
        int rounds = 7;
        String model = "ticket-classifier";
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--model" -> model = args[++i];
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --rounds N, --model NAME|DIR, --json FILE)");
            }
        }
        List<Ticket> test = Datasets.ticketsTest();
        List<TextRecord> records = test.stream().map(t -> TextRecord.labelled(t.text(), t.label())).toList();
        List<String> texts = test.stream().map(Ticket::text).toList();
        System.err.printf(Locale.ROOT, "%d held-out tickets, %d rounds, %s, %d cores%n", texts.size(), rounds,
                Machine.cpuModel(), Runtime.getRuntime().availableProcessors());

        ModelFolder fp32 = ModelResolver.standard().resolve(model);
        Path dir = Files.createTempDirectory("peregrine-classifier-int8");
        long start = System.nanoTime();
        ModelConversion.Outcome outcome = ModelConversion.convert(fp32, dir, "model",
                new ModelConversion.Settings(FusionOptions.defaults(), QuantMode.INT8_DYNAMIC,
                        QuantizeOptions.recommended(), DefaultTexts.calibration(), Float16Converter.DEFAULT_KEEP_FLOAT));
        double convertSeconds = (System.nanoTime() - start) / 1e9;
        ModelFolder int8 = ModelFolder.open(dir, "model", fp32.name() + "-int8");

        try (Engine ref = Engine.open(fp32, EngineOptions.defaults());
             Engine cand = Engine.open(int8, EngineOptions.defaults())) {
            ValidationReport report = Validator.compare(ref, cand, records, ValidationOptions.defaults());
            ValidationReport.ClassifierAgreement agreement = report.classification();

            ref.classify(texts);      // warm-up, untimed
            cand.classify(texts);
            double[] refRate = new double[rounds];
            double[] candRate = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    refRate[r] = rate(ref, texts);
                    candRate[r] = rate(cand, texts);
                } else {
                    candRate[r] = rate(cand, texts);
                    refRate[r] = rate(ref, texts);
                }
            }
            double refMedian = Rounds.median(refRate);
            double candMedian = Rounds.median(candRate);
            long refBytes = Files.size(fp32.onnxFile());
            long candBytes = Files.size(int8.onnxFile());

            System.out.println();
            System.out.println("| model | held-out accuracy | agreement with fp32 | items/s | vs fp32 | ONNX file |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            System.out.printf(Locale.ROOT, "| %s fp32 | %.4f | 1.0000 | %.1f | 1.00x | %.1f MB |%n",
                    fp32.name(), agreement.referenceAccuracy(), refMedian, refBytes / 1e6);
            System.out.printf(Locale.ROOT, "| %s Peregrine INT8 | %.4f | %.4f | %.1f | %.2fx | %.1f MB |%n",
                    fp32.name(), agreement.candidateAccuracy(), agreement.labelAgreement(), candMedian,
                    candMedian / refMedian, candBytes / 1e6);
            System.out.printf(Locale.ROOT, "%nlargest probability difference %.4f, mean %.4f; %d labelled tickets; "
                            + "conversion took %.1f s%n", agreement.maxProbDiff(), agreement.meanProbDiff(),
                    agreement.labelled(), convertSeconds);
            System.out.println("rounds fp32 items/s: " + Arrays.toString(round(refRate)));
            System.out.println("rounds int8 items/s: " + Arrays.toString(round(candRate)));
            if (json != null) {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode root = mapper.createObjectNode();
                root.put("benchmark", "ClassifierBenchmark");
                root.put("date", LocalDate.now().toString());
                root.put("cpu", Machine.cpuModel());
                root.put("cores", Runtime.getRuntime().availableProcessors());
                root.put("model", fp32.name());
                root.put("texts", texts.size());
                root.put("rounds", rounds);
                root.put("fp32_accuracy", agreement.referenceAccuracy());
                root.put("int8_accuracy", agreement.candidateAccuracy());
                root.put("label_agreement", agreement.labelAgreement());
                root.put("fp32_items_per_s", refMedian);
                root.put("int8_items_per_s", candMedian);
                root.put("speedup", candMedian / refMedian);
                root.put("fp32_bytes", refBytes);
                root.put("int8_bytes", candBytes);
                Files.writeString(json, mapper.writeValueAsString(root));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Items/s of one pass over all texts with the engine's own batching (sorted, token-budgeted). */
    private static double rate(Engine engine, List<String> texts) {
        long start = System.nanoTime();
        engine.classify(texts);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }


    private static double[] round(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 10) / 10.0).toArray();
    }
}
