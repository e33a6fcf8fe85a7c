package dev.peregrine.train;

import java.util.Objects;

/**
 * A trained classification head: a logistic regression ({@code hidden == null}) or a one-hidden-
 * layer ReLU network, over encoder features. Weights are row-major {@code [in][out]} so that the
 * head exports to ONNX as {@code MatMul(x, W) + b} unchanged. Immutable.
 *
 * @param inputSize   feature width
 * @param classes     number of classes
 * @param hiddenW     [inputSize][hiddenSize] weights of the hidden layer, or null for logistic
 * @param hiddenB     [hiddenSize] biases of the hidden layer, or null
 * @param outW        [width][classes] weights of the output layer (width = hidden size or input size)
 * @param outB        [classes] biases of the output layer
 */
public record Head(int inputSize, int classes, float[] hiddenW, float[] hiddenB, float[] outW, float[] outB) {

    public Head {
        Objects.requireNonNull(outW, "outW");
        Objects.requireNonNull(outB, "outB");
        if ((hiddenW == null) != (hiddenB == null)) {
            throw new IllegalArgumentException("hidden weights and biases come together");
        }
        int width = hiddenW == null ? inputSize : hiddenB.length;
        if (hiddenW != null && hiddenW.length != inputSize * hiddenB.length) {
            throw new IllegalArgumentException("hidden weights must be " + inputSize + " x " + hiddenB.length);
        }
        if (outW.length != width * classes || outB.length != classes) {
            throw new IllegalArgumentException("output weights must be " + width + " x " + classes);
        }
    }

    public HeadKind kind() {
        return hiddenW == null ? HeadKind.LOGISTIC : HeadKind.MLP;
    }

    public int hiddenSize() {
        return hiddenB == null ? 0 : hiddenB.length;
    }

    /** The logits for one feature vector, computed in double as the trainer does. */
    public double[] logits(float[] x) {
        if (x.length != inputSize) {
            throw new IllegalArgumentException("expected " + inputSize + " features, got " + x.length);
        }
        float[] in = x;
        int width = inputSize;
        if (hiddenW != null) {
            int k = hiddenB.length;
            float[] h = new float[k];
            for (int j = 0; j < k; j++) {
                double acc = hiddenB[j];
                for (int i = 0; i < inputSize; i++) {
                    acc += (double) x[i] * hiddenW[i * k + j];
                }
                h[j] = (float) Math.max(0, acc);
            }
            in = h;
            width = k;
        }
        double[] z = new double[classes];
        for (int c = 0; c < classes; c++) {
            double acc = outB[c];
            for (int i = 0; i < width; i++) {
                acc += (double) in[i] * outW[i * classes + c];
            }
            z[c] = acc;
        }
        return z;
    }

    /** Index of the largest logit. */
    public int predict(float[] x) {
        double[] z = logits(x);
        int best = 0;
        for (int c = 1; c < z.length; c++) {
            if (z[c] > z[best]) {
                best = c;
            }
        }
        return best;
    }
}
