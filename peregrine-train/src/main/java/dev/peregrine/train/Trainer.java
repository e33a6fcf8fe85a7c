package dev.peregrine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Trains a classification head on any embedding model and exports encoder + head as one ONNX
 * classifier.
 *
 * <ol>
 *   <li>Checks the labelled data: at least two labels, every label with at least two examples, no
 *       empty label.</li>
 *   <li>Embeds every text once with the encoder (batched by the engine), with the encoder's own
 *       pooling and normalization: these features are what the exported graph computes.</li>
 *   <li>Estimates quality by stratified k-fold cross-validation (each fold's head trained on the
 *       other folds, early-stopped on its own held-out share).</li>
 *   <li>Fits the final head on all the data, and exports.</li>
 * </ol>
 * Deterministic for a seed.
 */
public final class Trainer {

    /** Bumped when training changes in a way that changes its output (invalidates built models). */
    public static final String VERSION = "1";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINES = new ObjectMapper();

    /** Labelled features ready for fitting. */
    public record Features(List<String> labels, float[][] x, int[] y, List<TextRecord> records) {
    }

    /** Everything a training run produced. */
    public record Result(ModelFolder encoder, ModelInfo encoderInfo, boolean normalized, List<String> labels,
                         Head head, HeadOptions options, ClassificationMetrics crossValidation, int folds,
                         HeadTrainer.Fit finalFit, int examples) {
    }

    private Trainer() {
    }

    /**
     * Checks the data and returns the sorted label set and each record's label index.
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} naming the problem
     */
    public static List<String> checkLabels(List<TextRecord> records) {
        if (records.isEmpty()) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "the training data has no texts");
        }
        Map<String, List<TextRecord>> byLabel = new TreeMap<>();
        for (TextRecord r : records) {
            if (r.label() == null || r.label().isBlank()) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "line " + r.line() + " has no label");
            }
            byLabel.computeIfAbsent(r.label().strip(), k -> new ArrayList<>()).add(r);
        }
        if (byLabel.size() < 2) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "all " + records.size() + " texts have the label '"
                    + byLabel.keySet().iterator().next() + "'; a classifier needs at least two labels");
        }
        for (Map.Entry<String, List<TextRecord>> e : byLabel.entrySet()) {
            if (e.getValue().size() < 2) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "label '" + e.getKey() + "' has only one example (line "
                        + e.getValue().get(0).line() + "); every label needs at least two");
            }
        }
        return List.copyOf(byLabel.keySet());
    }

    /**
     * Embeds labelled texts with an encoder.
     *
     * @param progress told how many texts were just embedded (for a progress bar); may be null
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the encoder is a classifier
     */
    public static Features features(Engine encoder, List<TextRecord> records, List<String> labels, LongConsumer progress) {
        if (encoder.info().task() != Task.EMBEDDING) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "the encoder '" + encoder.info().name()
                    + "' is a classifier; train on an embedding model (e.g. all-minilm-l6-v2)");
        }
        float[][] x = embed(encoder, records.stream().map(TextRecord::text).toList(), progress);
        int[] y = new int[records.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.indexOf(records.get(i).label().strip());
        }
        return new Features(labels, x, y, records);
    }

    /** Embeds texts in chunks (so progress moves), with the encoder's own normalization. */
    public static float[][] embed(Engine encoder, List<String> texts, LongConsumer progress) {
        float[][] x = new float[texts.size()][];
        int chunk = 256;
        for (int start = 0; start < texts.size(); start += chunk) {
            List<float[]> vectors = encoder.embed(texts.subList(start, Math.min(texts.size(), start + chunk)));
            for (int i = 0; i < vectors.size(); i++) {
                x[start + i] = vectors.get(i);
            }
            if (progress != null) {
                progress.accept(vectors.size());
            }
        }
        return x;
    }

    /**
     * Cross-validates and fits the final head.
     *
     * @param folds k of the stratified k-fold estimate (lowered to the smallest class size; 0 skips it)
     */
    public static Result fit(ModelFolder encoder, ModelInfo encoderInfo, Features data, HeadOptions options, int folds) {
        int classes = data.labels().size();
        ClassificationMetrics cv = null;
        int k = Math.min(folds, smallestClass(data.y(), classes));
        if (k >= 2) {
            int[] predicted = new int[data.y().length];
            int[] fold = stratifiedFolds(data.y(), classes, k, options.seed());
            for (int f = 0; f < k; f++) {
                List<Integer> trainRows = new ArrayList<>();
                List<Integer> testRows = new ArrayList<>();
                for (int i = 0; i < fold.length; i++) {
                    (fold[i] == f ? testRows : trainRows).add(i);
                }
                Head head = HeadTrainer.fit(rows(data.x(), trainRows), HeadTrainer.oneHot(rows(data.y(), trainRows), classes),
                        options).head();
                for (int i : testRows) {
                    predicted[i] = head.predict(data.x()[i]);
                }
            }
            cv = ClassificationMetrics.of(data.labels(), data.y(), predicted);
        }
        HeadTrainer.Fit fit = HeadTrainer.fit(data.x(), HeadTrainer.oneHot(data.y(), classes), options);
        return new Result(encoder, encoderInfo, encoderInfo.normalize(), data.labels(), fit.head(), options, cv,
                k >= 2 ? k : 0, fit, data.y().length);
    }

    /** Predictions of a head on texts embedded by the same encoder, scored against their labels. */
    public static ClassificationMetrics evaluate(Head head, Features data) {
        int[] predicted = new int[data.y().length];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = head.predict(data.x()[i]);
        }
        return ClassificationMetrics.of(data.labels(), data.y(), predicted);
    }

    /** Exports the classifier and writes {@code training.json} (the report) beside it. */
    public static void export(Result result, Path out, Map<String, Object> extraReport) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("peregrine.task", "classification");
        metadata.put("peregrine.encoder", result.encoderInfo().name());
        metadata.put("peregrine.head", result.head().kind().id());
        metadata.put("peregrine.trainer_version", VERSION);
        metadata.put("peregrine.seed", Long.toString(result.options().seed()));
        metadata.put("peregrine.examples", Integer.toString(result.examples()));
        if (result.crossValidation() != null) {
            metadata.put("peregrine.cv_accuracy", String.format(java.util.Locale.ROOT, "%.4f", result.crossValidation().accuracy()));
        }
        ClassifierExporter.export(result.encoder(), result.encoderInfo(), result.normalized(), result.head(),
                result.labels(), metadata, out);
        writeReport(result, out.resolve("training.json"), extraReport);
    }

    /**
     * Writes held-out labelled texts beside a classifier as {@link ModelFolder#HELD_OUT_FILE}, so
     * that quantize, validate and bench judge it on texts like the ones it serves by default.
     */
    public static void writeHeldOut(List<TextRecord> heldOut, Path out) throws IOException {
        Path file = out.resolve(ModelFolder.HELD_OUT_FILE);
        Path tmp = out.resolve(ModelFolder.HELD_OUT_FILE + ".tmp");
        try (java.io.BufferedWriter w = Files.newBufferedWriter(tmp, java.nio.charset.StandardCharsets.UTF_8)) {
            for (TextRecord r : heldOut) {
                ObjectNode line = JSON.createObjectNode();
                line.put("text", r.text());
                if (r.label() != null) {
                    line.put("label", r.label());
                }
                w.write(LINES.writeValueAsString(line));
                w.newLine();
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeReport(Result r, Path file, Map<String, Object> extra) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("encoder", r.encoderInfo().name());
        o.put("head", r.head().kind().id());
        o.put("examples", r.examples());
        o.put("seed", r.options().seed());
        o.put("l2", r.options().l2());
        o.put("epochs", r.finalFit().epochs());
        o.put("best_epoch", r.finalFit().bestEpoch());
        ArrayNode labels = o.putArray("labels");
        r.labels().forEach(labels::add);
        if (r.crossValidation() != null) {
            o.put("cv_folds", r.folds());
            o.set("cross_validation", metricsJson(r.crossValidation()));
        }
        extra.forEach((k, v) -> o.set(k, JSON.valueToTree(v)));
        JSON.writeValue(file.toFile(), o);
    }

    /** Metrics as JSON: accuracy, macro-F1, per-class rows, confusion matrix. */
    public static ObjectNode metricsJson(ClassificationMetrics m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("accuracy", m.accuracy());
        o.put("macro_f1", m.macroF1());
        o.set("classes", JSON.valueToTree(m.classes()));
        o.set("confusion", JSON.valueToTree(m.confusion()));
        return o;
    }

    static int smallestClass(int[] y, int classes) {
        int[] counts = new int[classes];
        for (int v : y) {
            counts[v]++;
        }
        int min = Integer.MAX_VALUE;
        for (int c : counts) {
            min = Math.min(min, c);
        }
        return min;
    }

    /** Fold index per row: each class's rows (shuffled by seed) dealt round-robin over k folds. */
    static int[] stratifiedFolds(int[] y, int classes, int k, long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int[] fold = new int[y.length];
        for (int c = 0; c < classes; c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < y.length; i++) {
                if (y[i] == c) {
                    members.add(i);
                }
            }
            int[] idx = members.stream().mapToInt(Integer::intValue).toArray();
            HeadTrainer.shuffle(idx, random);
            for (int j = 0; j < idx.length; j++) {
                fold[idx[j]] = j % k;
            }
        }
        return fold;
    }

    private static float[][] rows(float[][] x, List<Integer> rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = x[rows.get(i)];
        }
        return out;
    }

    private static int[] rows(int[] y, List<Integer> rows) {
        return rows.stream().mapToInt(i -> y[i]).toArray();
    }

    /** Opens an encoder engine for feature extraction. */
    public static Engine openEncoder(ModelFolder folder) {
        return Engine.open(Objects.requireNonNull(folder, "folder"), EngineOptions.defaults());
    }
}
