package dev.peregrine.optimize.validate;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.datasets.TextRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Compares a candidate model (quantized, fused, distilled) with its reference on the same texts:
 * for embedders, cosine similarity per text and agreement of nearest neighbours across the set; for
 * classifiers, top-label agreement, probability differences and, with labelled data, the accuracy
 * of both. {@code validate}, {@code quantize} and {@code optimize} all judge fidelity here.
 *
 * <p>Stateless; the engines' own thread safety applies.
 */
public final class Validator {

    private Validator() {
    }

    /**
     * @throws PeregrineException {@link ErrorKind#WRONG_TASK} when the models do different things or
     *                            differ in output size; {@link ErrorKind#INVALID_INPUT} for no texts
     */
    public static ValidationReport compare(Engine reference, Engine candidate, List<TextRecord> records,
                                           ValidationOptions options) {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(candidate, "candidate");
        Objects.requireNonNull(options, "options");
        if (records.isEmpty()) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "no texts to validate on");
        }
        Task task = reference.info().task();
        if (candidate.info().task() != task) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "reference '" + reference.info().name() + "' does "
                    + task.id() + " but candidate '" + candidate.info().name() + "' does "
                    + candidate.info().task().id());
        }
        if (candidate.info().dimension() != reference.info().dimension()) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "reference outputs " + reference.info().dimension()
                    + " values per text but candidate outputs " + candidate.info().dimension());
        }
        List<String> texts = records.stream().map(TextRecord::text).toList();
        float[][] ref = reference.run(reference.encode(texts));
        float[][] cand = candidate.run(candidate.encode(texts));
        List<String> failures = new ArrayList<>();
        ValidationReport.EmbeddingAgreement embedding = null;
        ValidationReport.ClassifierAgreement classification = null;
        if (task == Task.EMBEDDING) {
            embedding = embeddings(ref, cand, options.neighbours());
            failures.addAll(failures(embedding, options));
        } else {
            classification = classifications(reference, ref, cand, records);
            failures.addAll(failures(classification, options));
        }
        return new ValidationReport(reference.info().name(), candidate.info().name(), task, texts.size(),
                embedding, classification, failures.isEmpty(), failures);
    }

    /** The gate's failed conditions for an embedder, as sentences; empty when it passes. */
    public static List<String> failures(ValidationReport.EmbeddingAgreement e, ValidationOptions options) {
        List<String> out = new ArrayList<>();
        if (!(e.cosineMean() >= options.minCosine())) {
            out.add(Thresholds.below("mean cosine", e.cosineMean(), options.minCosine()));
        }
        if (!(e.cosineP1() >= options.minP1Cosine())) {
            out.add(Thresholds.below("p1 cosine", e.cosineP1(), options.minP1Cosine()));
        }
        return out;
    }

    /** The gate's failed conditions for a classifier, as sentences; empty when it passes. */
    public static List<String> failures(ValidationReport.ClassifierAgreement c, ValidationOptions options) {
        List<String> out = new ArrayList<>();
        if (!(c.labelAgreement() >= options.minAgreement())) {
            out.add(Thresholds.below("label agreement", c.labelAgreement(), options.minAgreement()));
        }
        if (!Double.isNaN(options.maxAccuracyDrop()) && c.accuracyDrop() != null
                && c.accuracyDrop() > options.maxAccuracyDrop()) {
            out.add(Thresholds.above("accuracy dropped by", c.accuracyDrop(), options.maxAccuracyDrop()));
        }
        return out;
    }

    /** Cosine statistics and top-k neighbour overlap of two sets of vectors for the same texts. */
    public static ValidationReport.EmbeddingAgreement embeddings(float[][] ref, float[][] cand, int k) {
        int n = ref.length;
        double[] cos = new double[n];
        for (int i = 0; i < n; i++) {
            cos[i] = Vectors.cosine(ref[i], cand[i]);
        }
        double[] sorted = cos.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(cos).average().orElse(Double.NaN);
        double p1 = sorted[(int) Math.floor(0.01 * (n - 1))];
        int neighbours = Math.min(k, n - 1);
        double overlap = neighbours < 1 ? 1 : neighbourOverlap(ref, cand, neighbours);
        return new ValidationReport.EmbeddingAgreement(sorted[0], mean, p1, neighbours, overlap);
    }

    private static double neighbourOverlap(float[][] ref, float[][] cand, int k) {
        float[][] a = normalizedAll(ref);
        float[][] b = normalizedAll(cand);
        int n = a.length;
        double total = 0;
        for (int i = 0; i < n; i++) {
            int[] na = nearest(a, i, k);
            int[] nb = nearest(b, i, k);
            int shared = 0;
            for (int x : na) {
                for (int y : nb) {
                    if (x == y) {
                        shared++;
                        break;
                    }
                }
            }
            total += (double) shared / k;
        }
        return total / n;
    }

    private static float[][] normalizedAll(float[][] v) {
        float[][] out = new float[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = Vectors.normalized(v[i]);
        }
        return out;
    }

    /** The k most similar other rows to row i (ties broken by index). */
    private static int[] nearest(float[][] unit, int i, int k) {
        int n = unit.length;
        double[] sim = new double[n];
        Integer[] order = new Integer[n - 1];
        int at = 0;
        for (int j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            double dot = 0;
            float[] x = unit[i];
            float[] y = unit[j];
            for (int d = 0; d < x.length; d++) {
                dot += x[d] * y[d];
            }
            sim[j] = dot;
            order[at++] = j;
        }
        Arrays.sort(order, (p, q) -> sim[p] != sim[q] ? Double.compare(sim[q], sim[p]) : Integer.compare(p, q));
        int[] out = new int[k];
        for (int t = 0; t < k; t++) {
            out[t] = order[t];
        }
        return out;
    }

    private static ValidationReport.ClassifierAgreement classifications(Engine reference, float[][] ref,
                                                                        float[][] cand, List<TextRecord> records) {
        List<String> labels = reference.info().labels();
        int n = ref.length;
        int agree = 0;
        double maxDiff = 0;
        double sumDiff = 0;
        int labelled = 0;
        int refCorrect = 0;
        int candCorrect = 0;
        for (int i = 0; i < n; i++) {
            int ra = argmax(ref[i]);
            int ca = argmax(cand[i]);
            if (ra == ca) {
                agree++;
            }
            double d = 0;
            for (int c = 0; c < ref[i].length; c++) {
                d = Math.max(d, Math.abs(ref[i][c] - cand[i][c]));
            }
            maxDiff = Math.max(maxDiff, d);
            sumDiff += d;
            String gold = records.get(i).label();
            if (gold != null) {
                int g = labels.indexOf(gold);
                if (g < 0) {
                    continue;
                }
                labelled++;
                refCorrect += ra == g ? 1 : 0;
                candCorrect += ca == g ? 1 : 0;
            }
        }
        Double refAcc = labelled == 0 ? null : (double) refCorrect / labelled;
        Double candAcc = labelled == 0 ? null : (double) candCorrect / labelled;
        // From the counts, not refAcc - candAcc: a drop of exactly the bar must compare equal to it.
        Double drop = labelled == 0 ? null : (double) (refCorrect - candCorrect) / labelled;
        return new ValidationReport.ClassifierAgreement((double) agree / n, maxDiff, sumDiff / n, refAcc, candAcc,
                drop, labelled);
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
}
