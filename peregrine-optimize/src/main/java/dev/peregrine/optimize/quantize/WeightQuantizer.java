package dev.peregrine.optimize.quantize;

/**
 * Symmetric int8 quantization of a weight matrix [rows = input features, cols = output features]:
 * {@code q = round(w / s)} clamped to {@code [-r, r]} with {@code s = max|w| / r}, one {@code s} per
 * matrix or per column, and zero point 0. {@code r} is 127, or 63 with a reduced range.
 */
public final class WeightQuantizer {

    private WeightQuantizer() {
    }

    /** Quantized values (row-major, same layout as the input) and their scales. */
    public record Quantized(byte[] values, float[] scales) {
    }

    public static Quantized quantize(float[] w, int rows, int cols, boolean perChannel, boolean reduceRange) {
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException("weight has " + w.length + " values, not " + rows + " x " + cols);
        }
        int range = reduceRange ? 63 : 127;
        float[] scales = new float[perChannel ? cols : 1];
        if (perChannel) {
            float[] max = new float[cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    max[c] = Math.max(max[c], Math.abs(w[r * cols + c]));
                }
            }
            for (int c = 0; c < cols; c++) {
                scales[c] = max[c] > 0 ? max[c] / range : 1f;
            }
        } else {
            float max = 0;
            for (float v : w) {
                max = Math.max(max, Math.abs(v));
            }
            scales[0] = max > 0 ? max / range : 1f;
        }
        byte[] q = new byte[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                float s = scales[perChannel ? c : 0];
                long v = Math.round(w[i] / s);
                q[i] = (byte) Math.max(-range, Math.min(range, v));
            }
        }
        return new Quantized(q, scales);
    }

    /** The float values the quantized matrix stands for. */
    public static float[] dequantize(Quantized q, int rows, int cols) {
        float[] out = new float[rows * cols];
        boolean perChannel = q.scales().length > 1;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = q.values()[r * cols + c] * q.scales()[perChannel ? c : 0];
            }
        }
        return out;
    }
}
