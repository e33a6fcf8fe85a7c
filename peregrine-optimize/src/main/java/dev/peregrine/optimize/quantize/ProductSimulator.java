package dev.peregrine.optimize.quantize;

/**
 * Simulates a dynamically quantized product {@code x · w} in Java to tell how much a choice
 * (smoothing factors, per-channel weights) costs in accuracy: activations as uint8 with one scale
 * and zero point over all rows (as {@code DynamicQuantizeLinear} does for a batch), weights as
 * symmetric int8. Returns the squared error relative to the float product.
 */
final class ProductSimulator {

    private ProductSimulator() {
    }

    /** The float product of sampled rows {@code x} [R][K] and {@code w} [K x N] (row-major). */
    static float[][] reference(float[][] x, float[] w, int k, int n) {
        float[][] y = new float[x.length][n];
        for (int r = 0; r < x.length; r++) {
            multiplyRow(x[r], w, k, n, y[r]);
        }
        return y;
    }

    /**
     * Relative squared error of the quantized product with input channels divided by {@code s}
     * (null for none) and weight rows multiplied by it.
     */
    static double error(float[][] x, float[] w, int k, int n, float[] s, float[][] reference,
                        boolean perChannel, boolean reduceRange) {
        float[][] xs = new float[x.length][k];
        float min = 0;
        float max = 0;
        for (int r = 0; r < x.length; r++) {
            for (int j = 0; j < k; j++) {
                float v = s == null ? x[r][j] : x[r][j] / s[j];
                xs[r][j] = v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        float scale = max > min ? (max - min) / 255f : 1f;
        int zero = Math.round(-min / scale);
        for (float[] row : xs) {
            for (int j = 0; j < k; j++) {
                int q = Math.max(0, Math.min(255, Math.round(row[j] / scale) + zero));
                row[j] = (q - zero) * scale;
            }
        }
        float[] ws = w;
        if (s != null) {
            ws = w.clone();
            for (int j = 0; j < k; j++) {
                for (int c = 0; c < n; c++) {
                    ws[j * n + c] *= s[j];
                }
            }
        }
        float[] wq = WeightQuantizer.dequantize(WeightQuantizer.quantize(ws, k, n, perChannel, reduceRange), k, n);
        double err = 0;
        double norm = 0;
        float[] y = new float[n];
        for (int r = 0; r < x.length; r++) {
            java.util.Arrays.fill(y, 0);
            multiplyRow(xs[r], wq, k, n, y);
            for (int c = 0; c < n; c++) {
                double d = y[c] - reference[r][c];
                err += d * d;
                norm += (double) reference[r][c] * reference[r][c];
            }
        }
        return norm > 0 ? err / norm : 0;
    }

    private static void multiplyRow(float[] x, float[] w, int k, int n, float[] into) {
        for (int j = 0; j < k; j++) {
            float a = x[j];
            if (a == 0) {
                continue;
            }
            int base = j * n;
            for (int c = 0; c < n; c++) {
                into[c] += a * w[base + c];
            }
        }
    }
}
