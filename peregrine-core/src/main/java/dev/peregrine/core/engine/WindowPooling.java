package dev.peregrine.core.engine;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.List;
import java.util.Objects;

/**
 * Pools the outputs of one text's windows ({@link dev.peregrine.core.tokenize.TextWindows}) into the text's answer. Pure
 * arithmetic, in double precision. One window is returned as it is, so a text within the model's
 * limit gets the same answer in every {@link LongTextMode}.
 */
public final class WindowPooling {

    /**
     * Probabilities are clamped to what a float can tell from 0 and from 1 before they are turned
     * back into logits, so a window that is certain cannot make the mean infinite (or, against a
     * window certain of the opposite, undefined).
     */
    private static final double LOW = Float.MIN_VALUE;
    private static final double HIGH = 1 - 0x1p-24;

    private WindowPooling() {
    }

    /**
     * An embedder's answer: the mean of the windows' vectors weighted by their tokens (each window
     * counts as many times as the tokens it ran, special tokens included), where each window's vector
     * is what the request would get for that window alone (unit length when {@code normalize}), and
     * the mean is scaled to unit length again when {@code normalize}.
     *
     * @param rows    one pooled, not yet normalized, vector per window, as the engine returns them
     * @param windows the windows, in the same order
     */
    public static float[] embedding(List<float[]> rows, List<EncodedText> windows, boolean normalize) {
        check(rows, windows);
        if (rows.size() == 1) {
            float[] only = rows.get(0);
            return normalize ? Vectors.normalized(only) : only.clone();
        }
        int dim = rows.get(0).length;
        double[] sum = new double[dim];
        double total = 0;
        for (int w = 0; w < rows.size(); w++) {
            float[] row = rows.get(w);
            if (row.length != dim) {
                throw new IllegalArgumentException("window " + w + " has " + row.length + " values, not " + dim);
            }
            double weight = windows.get(w).length();
            double scale = weight;
            if (normalize) {
                double norm = norm(row);
                scale = norm > 0 ? weight / norm : 0;
            }
            for (int i = 0; i < dim; i++) {
                sum[i] += scale * row[i];
            }
            total += weight;
        }
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) {
            out[i] = (float) (sum[i] / total);
        }
        return normalize ? Vectors.normalizeInPlace(out) : out;
    }

    /**
     * A classifier's answer: the mean of the windows' logits, then softmax (or, for multi-label
     * models, sigmoid), as the model would turn one text's logits into probabilities. The logits are
     * recovered from the probabilities the engine returns: for softmax, their logarithms, which
     * differ from the logits by one constant per window, and a constant per window shifts the mean
     * by a constant that softmax ignores; for sigmoid, {@code log(p / (1 - p))}.
     *
     * @param probabilities one row of class probabilities per window
     */
    public static float[] probabilities(List<float[]> probabilities, boolean multiLabel) {
        Objects.requireNonNull(probabilities, "probabilities");
        if (probabilities.isEmpty()) {
            throw new IllegalArgumentException("no windows");
        }
        if (probabilities.size() == 1) {
            return probabilities.get(0).clone();
        }
        int classes = probabilities.get(0).length;
        double[] mean = new double[classes];
        for (float[] row : probabilities) {
            if (row.length != classes) {
                throw new IllegalArgumentException("windows differ in classes: " + row.length + " vs " + classes);
            }
            for (int c = 0; c < classes; c++) {
                double p = Math.min(HIGH, Math.max(LOW, row[c]));
                mean[c] += multiLabel ? Math.log(p / (1 - p)) : Math.log(p);
            }
        }
        float[] out = new float[classes];
        if (multiLabel) {
            for (int c = 0; c < classes; c++) {
                out[c] = (float) (1 / (1 + Math.exp(-mean[c] / probabilities.size())));
            }
            return out;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            mean[c] /= probabilities.size();
            max = Math.max(max, mean[c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            mean[c] = Math.exp(mean[c] - max);
            sum += mean[c];
        }
        for (int c = 0; c < classes; c++) {
            out[c] = (float) (mean[c] / sum);
        }
        return out;
    }

    /**
     * The mean of the windows' raw logits (as {@link Engine#forwardRaw} returns them): a classifier's
     * answer once the model's own last step ({@link Engine#scores}) is applied, or its raw scores.
     * One window is returned as a copy of itself.
     */
    public static float[] meanLogits(List<float[]> logits) {
        Objects.requireNonNull(logits, "logits");
        if (logits.isEmpty()) {
            throw new IllegalArgumentException("no windows");
        }
        int classes = logits.get(0).length;
        double[] sum = new double[classes];
        for (float[] row : logits) {
            if (row.length != classes) {
                throw new IllegalArgumentException("windows differ in classes: " + row.length + " vs " + classes);
            }
            for (int c = 0; c < classes; c++) {
                sum[c] += row[c];
            }
        }
        float[] out = new float[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = (float) (sum[c] / logits.size());
        }
        return out;
    }

    private static void check(List<float[]> rows, List<EncodedText> windows) {
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(windows, "windows");
        if (rows.isEmpty() || rows.size() != windows.size()) {
            throw new IllegalArgumentException(rows.size() + " rows for " + windows.size() + " windows");
        }
    }

    private static double norm(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        return Math.sqrt(sq);
    }
}
