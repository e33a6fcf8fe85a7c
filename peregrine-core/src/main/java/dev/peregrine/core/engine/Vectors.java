package dev.peregrine.core.engine;

import dev.peregrine.core.model.Pooling;
import java.nio.FloatBuffer;

/**
 * The arithmetic after the forward pass: pooling token vectors into one vector per text, softmax and
 * sigmoid over logits, L2 normalization, cosine similarity. Static and allocation-light; the buffers
 * are read with absolute bulk gets so that no tensor is ever copied whole.
 */
public final class Vectors {

    private Vectors() {
    }

    /**
     * Pools one text's token vectors from a [batch, sequence, hidden] buffer (row-major).
     *
     * @param hidden    the token embeddings of the whole batch
     * @param row       the text's row in the batch
     * @param seqLen    the batch's padded sequence length
     * @param dim       the hidden size
     * @param tokens    the text's real token count (positions 0..tokens-1 are under the mask)
     * @param pooling   how to pool
     */
    public static float[] pool(FloatBuffer hidden, int row, int seqLen, int dim, int tokens, Pooling pooling) {
        if (tokens < 1 || tokens > seqLen) {
            throw new IllegalArgumentException("tokens must be in 1.." + seqLen + ", was " + tokens);
        }
        int base = row * seqLen * dim;
        float[] out = new float[dim];
        switch (pooling) {
            case CLS -> hidden.get(base, out, 0, dim);
            case LAST_TOKEN -> hidden.get(base + (tokens - 1) * dim, out, 0, dim);
            case MAX -> {
                hidden.get(base, out, 0, dim);
                float[] tmp = new float[dim];
                for (int t = 1; t < tokens; t++) {
                    hidden.get(base + t * dim, tmp, 0, dim);
                    for (int h = 0; h < dim; h++) {
                        if (tmp[h] > out[h]) {
                            out[h] = tmp[h];
                        }
                    }
                }
            }
            case MEAN, MEAN_SQRT_LEN -> {
                // Accumulate in double: a 512-token sum in float loses digits that batch invariance needs.
                double[] acc = new double[dim];
                float[] tmp = new float[dim];
                for (int t = 0; t < tokens; t++) {
                    hidden.get(base + t * dim, tmp, 0, dim);
                    for (int h = 0; h < dim; h++) {
                        acc[h] += tmp[h];
                    }
                }
                double divisor = pooling == Pooling.MEAN ? tokens : Math.sqrt(tokens);
                for (int h = 0; h < dim; h++) {
                    out[h] = (float) (acc[h] / divisor);
                }
            }
        }
        return out;
    }

    /** Copies row {@code row} of a [batch, dim] buffer. */
    public static float[] row(FloatBuffer matrix, int row, int dim) {
        float[] out = new float[dim];
        matrix.get(row * dim, out, 0, dim);
        return out;
    }

    /** Softmax in place (numerically stable: shifted by the maximum). */
    public static float[] softmaxInPlace(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double e = Math.exp(logits[i] - max);
            logits[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (logits[i] / sum);
        }
        return logits;
    }

    /** Element-wise logistic sigmoid in place (multi-label classifiers). */
    public static float[] sigmoidInPlace(float[] logits) {
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (1.0 / (1.0 + Math.exp(-logits[i])));
        }
        return logits;
    }

    /** Scales {@code v} to unit L2 norm in place; a zero vector stays zero. */
    public static float[] normalizeInPlace(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        if (sq > 0) {
            double inv = 1.0 / Math.sqrt(sq);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] * inv);
            }
        }
        return v;
    }

    /** A unit-norm copy of {@code v}. */
    public static float[] normalized(float[] v) {
        return normalizeInPlace(v.clone());
    }

    /** Cosine similarity; 0 when either vector is zero. */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors differ in length: " + a.length + " vs " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
