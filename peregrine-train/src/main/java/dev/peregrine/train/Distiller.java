package dev.peregrine.train;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Knowledge distillation of a classifier into a head on a (usually smaller, faster) encoder: the
 * teacher labels unlabelled texts with its probabilities, softened by a temperature; the student's
 * head learns to reproduce them (temperature-scaled cross-entropy); agreement is measured on texts
 * held out from training.
 */
public final class Distiller {

    /**
     * @param head          the student's head
     * @param labels        the teacher's labels, in its order
     * @param agreement     share of held-out texts where student and teacher pick the same label
     * @param trainTexts    texts the student learned from
     * @param heldOutTexts  texts agreement was measured on
     * @param fit           training details
     * @param studentInfo   the student encoder's description
     * @param normalized    whether the student's features were normalized
     */
    public record Result(Head head, List<String> labels, double agreement, int trainTexts, int heldOutTexts,
                         HeadTrainer.Fit fit, dev.peregrine.core.engine.ModelInfo studentInfo, boolean normalized,
                         List<String> heldOut) {
    }

    private Distiller() {
    }

    /**
     * @param teacher        any single-label classifier the engine runs
     * @param student        the student's encoder (an embedding model)
     * @param texts          unlabelled texts
     * @param temperature    softening of the teacher's probabilities (1 = as is; 2-4 is usual)
     * @param heldOutShare   share of texts kept out of training to measure agreement
     * @param progress       told how many texts each model just processed (may be null)
     */
    public static Result distill(Engine teacher, Engine student, List<String> texts, double temperature,
                                 HeadOptions options, double heldOutShare, LongConsumer progress) {
        if (teacher.info().task() != Task.CLASSIFICATION) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "the teacher '" + teacher.info().name()
                    + "' is an embedding model; distillation needs a classifier as teacher");
        }
        if (teacher.info().multiLabel()) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "the teacher '" + teacher.info().name()
                    + "' is multi-label; only single-label teachers can be distilled");
        }
        if (student.info().task() != Task.EMBEDDING) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "the student encoder '" + student.info().name()
                    + "' is a classifier; give an embedding model");
        }
        if (texts.size() < 10) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "distillation needs at least 10 texts, got " + texts.size());
        }
        if (!(heldOutShare > 0 && heldOutShare < 0.5)) {
            throw new IllegalArgumentException("held-out share must be in (0, 0.5), was " + heldOutShare);
        }
        List<String> labels = teacher.info().labels();
        int n = texts.size();
        double[][] soft = new double[n][];
        int[] teacherLabel = new int[n];
        int chunk = 256;
        for (int start = 0; start < n; start += chunk) {
            List<Classification> out = teacher.classify(texts.subList(start, Math.min(n, start + chunk)));
            for (int i = 0; i < out.size(); i++) {
                float[] p = out.get(i).probabilities();
                soft[start + i] = soften(p, temperature);
                teacherLabel[start + i] = labels.indexOf(out.get(i).label());
            }
            if (progress != null) {
                progress.accept(out.size());
            }
        }
        float[][] x = Trainer.embed(student, texts, progress);

        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        HeadTrainer.shuffle(order, new SplittableRandom(options.seed() * 31 + 7));
        int held = Math.max(1, (int) Math.round(n * heldOutShare));
        List<Integer> heldRows = new ArrayList<>();
        List<Integer> trainRows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (i < held ? heldRows : trainRows).add(order[i]);
        }
        float[][] trainX = new float[trainRows.size()][];
        double[][] trainT = new double[trainRows.size()][];
        for (int i = 0; i < trainRows.size(); i++) {
            trainX[i] = x[trainRows.get(i)];
            trainT[i] = soft[trainRows.get(i)];
        }
        HeadTrainer.Fit fit = HeadTrainer.fit(trainX, trainT, options.withTemperature(temperature));
        int agree = 0;
        List<String> heldTexts = new ArrayList<>();
        for (int row : heldRows) {
            if (fit.head().predict(x[row]) == teacherLabel[row]) {
                agree++;
            }
            heldTexts.add(texts.get(row));
        }
        return new Result(fit.head(), labels, (double) agree / heldRows.size(), trainRows.size(), heldRows.size(), fit,
                student.info(), student.info().normalize(), heldTexts);
    }

    /** softmax(z / T) from softmax(z): p^(1/T), renormalized. */
    static double[] soften(float[] p, double temperature) {
        double[] q = new double[p.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            q[i] = Math.pow(Math.max(p[i], 1e-30), 1 / temperature);
            sum += q[i];
        }
        for (int i = 0; i < q.length; i++) {
            q[i] /= sum;
        }
        return q;
    }

    /** Writes the student as a classifier folder, with how it was distilled in its metadata. */
    public static void export(Result result, ModelFolder studentEncoder, String teacherName, double temperature,
                              Path out) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("peregrine.task", "classification");
        metadata.put("peregrine.distilled_from", teacherName);
        metadata.put("peregrine.encoder", result.studentInfo().name());
        metadata.put("peregrine.head", result.head().kind().id());
        metadata.put("peregrine.temperature", Double.toString(temperature));
        metadata.put("peregrine.agreement", String.format(Locale.ROOT, "%.4f", result.agreement()));
        metadata.put("peregrine.trainer_version", Trainer.VERSION);
        ClassifierExporter.export(studentEncoder, result.studentInfo(), result.normalized(), result.head(),
                result.labels(), metadata, out);
    }
}
