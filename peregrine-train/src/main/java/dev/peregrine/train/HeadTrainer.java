package dev.peregrine.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fits a {@link Head} to features and (possibly soft) targets with Adam over shuffled minibatches,
 * an L2 penalty on the weights, and early stopping on a stratified held-out share of the data (the
 * weights of the best held-out epoch are kept).
 *
 * <p>Targets are probability rows: one-hot for labelled data, a teacher's (temperature-softened)
 * probabilities for distillation. With temperature {@code T} the loss is the cross-entropy between
 * the targets and {@code softmax(z / T)}, its gradient scaled by {@code T^2} as in Hinton et al., so
 * that the step size does not depend on {@code T}.
 *
 * <p>Deterministic: every random choice comes from the options' seed, and the arithmetic runs in a
 * fixed order, so the same data and options give bit-identical heads.
 */
public final class HeadTrainer {

    /** The outcome of one fit. */
    public record Fit(Head head, int epochs, int bestEpoch, double bestValidationLoss) {
    }

    private HeadTrainer() {
    }

    /**
     * @param x       n feature rows of equal width
     * @param targets n probability rows over the classes
     */
    public static Fit fit(float[][] x, double[][] targets, HeadOptions options) {
        int n = x.length;
        if (n < 2 || targets.length != n) {
            throw new IllegalArgumentException("need at least 2 examples with one target row each");
        }
        int in = x[0].length;
        int classes = targets[0].length;
        SplittableRandom random = new SplittableRandom(options.seed());
        int[][] split = stratifiedSplit(targets, options.validationShare(), random);
        int[] train = split[0];
        int[] validation = split[1];

        Net net = new Net(in, options.kind() == HeadKind.MLP ? options.hiddenSize() : 0, classes, random);
        Net best = net.copy();
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int epoch = 0;
        Adam adam = new Adam(net.parameters(), options.learningRate());
        int[] order = train.clone();
        while (epoch < options.maxEpochs()) {
            epoch++;
            shuffle(order, random);
            for (int start = 0; start < order.length; start += options.batchSize()) {
                int end = Math.min(order.length, start + options.batchSize());
                net.zeroGradients();
                for (int k = start; k < end; k++) {
                    net.accumulate(x[order[k]], targets[order[k]], options.temperature(), 1.0 / (end - start));
                }
                net.addL2(options.l2());
                adam.step(net.gradients());
            }
            double loss = net.loss(x, targets, validation, options.temperature());
            if (loss < bestLoss - 1e-9) {
                bestLoss = loss;
                bestEpoch = epoch;
                best = net.copy();
            } else if (epoch - bestEpoch >= options.patience()) {
                break;
            }
        }
        return new Fit(best.toHead(), epoch, bestEpoch, bestLoss);
    }

    /** One-hot rows for hard labels. */
    public static double[][] oneHot(int[] labels, int classes) {
        double[][] t = new double[labels.length][classes];
        for (int i = 0; i < labels.length; i++) {
            t[i][labels[i]] = 1;
        }
        return t;
    }

    /** Indices split into [train, held-out], each class contributing its share (at least one if it has two). */
    static int[][] stratifiedSplit(double[][] targets, double share, SplittableRandom random) {
        int classes = targets[0].length;
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < targets.length; i++) {
            byClass.get(argmax(targets[i])).add(i);
        }
        List<Integer> train = new ArrayList<>();
        List<Integer> held = new ArrayList<>();
        for (List<Integer> members : byClass) {
            int[] idx = members.stream().mapToInt(Integer::intValue).toArray();
            shuffle(idx, random);
            int take = idx.length >= 2 ? Math.max(1, (int) Math.round(idx.length * share)) : 0;
            for (int i = 0; i < idx.length; i++) {
                (i < take ? held : train).add(idx[i]);
            }
        }
        if (held.isEmpty()) {
            held.add(train.remove(train.size() - 1));
        }
        return new int[][] {
            train.stream().mapToInt(Integer::intValue).sorted().toArray(),
            held.stream().mapToInt(Integer::intValue).sorted().toArray(),
        };
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The network's parameters and gradients, as flat double arrays. Not thread-safe. */
    private static final class Net {
        final int in;
        final int hidden;
        final int classes;
        final double[] w1;
        final double[] b1;
        final double[] w2;
        final double[] b2;
        final double[] gw1;
        final double[] gb1;
        final double[] gw2;
        final double[] gb2;
        // scratch
        final double[] h;
        final double[] z;
        final double[] p;

        Net(int in, int hidden, int classes, SplittableRandom random) {
            this.in = in;
            this.hidden = hidden;
            this.classes = classes;
            int width = hidden > 0 ? hidden : in;
            w1 = new double[in * hidden];
            b1 = new double[hidden];
            w2 = new double[width * classes];
            b2 = new double[classes];
            gw1 = new double[w1.length];
            gb1 = new double[b1.length];
            gw2 = new double[w2.length];
            gb2 = new double[b2.length];
            h = new double[hidden];
            z = new double[classes];
            p = new double[classes];
            if (hidden > 0) {
                double s1 = Math.sqrt(2.0 / in);
                for (int i = 0; i < w1.length; i++) {
                    w1[i] = random.nextGaussian() * s1;
                }
                double s2 = Math.sqrt(1.0 / hidden);
                for (int i = 0; i < w2.length; i++) {
                    w2[i] = random.nextGaussian() * s2;
                }
            }
        }

        private Net(Net o) {
            in = o.in;
            hidden = o.hidden;
            classes = o.classes;
            w1 = o.w1.clone();
            b1 = o.b1.clone();
            w2 = o.w2.clone();
            b2 = o.b2.clone();
            gw1 = new double[w1.length];
            gb1 = new double[b1.length];
            gw2 = new double[w2.length];
            gb2 = new double[b2.length];
            h = new double[hidden];
            z = new double[classes];
            p = new double[classes];
        }

        Net copy() {
            return new Net(this);
        }

        List<double[]> parameters() {
            return List.of(w1, b1, w2, b2);
        }

        List<double[]> gradients() {
            return List.of(gw1, gb1, gw2, gb2);
        }

        void zeroGradients() {
            java.util.Arrays.fill(gw1, 0);
            java.util.Arrays.fill(gb1, 0);
            java.util.Arrays.fill(gw2, 0);
            java.util.Arrays.fill(gb2, 0);
        }

        /** Forward pass into {@link #z} (logits / T) and {@link #p} (softmax); returns the input to the output layer. */
        private void forward(float[] x, double temperature) {
            if (hidden > 0) {
                for (int j = 0; j < hidden; j++) {
                    double acc = b1[j];
                    for (int i = 0; i < in; i++) {
                        acc += x[i] * w1[i * hidden + j];
                    }
                    h[j] = Math.max(0, acc);
                }
            }
            for (int c = 0; c < classes; c++) {
                double acc = b2[c];
                if (hidden > 0) {
                    for (int j = 0; j < hidden; j++) {
                        acc += h[j] * w2[j * classes + c];
                    }
                } else {
                    for (int i = 0; i < in; i++) {
                        acc += x[i] * w2[i * classes + c];
                    }
                }
                z[c] = acc / temperature;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(z[c] - max);
                sum += p[c];
            }
            for (int c = 0; c < classes; c++) {
                p[c] /= sum;
            }
        }

        void accumulate(float[] x, double[] target, double temperature, double weight) {
            forward(x, temperature);
            // d(loss)/d(logit) = (p - t) / T, scaled by T^2 (Hinton) = (p - t) * T.
            double[] dz = new double[classes];
            for (int c = 0; c < classes; c++) {
                dz[c] = (p[c] - target[c]) * temperature * weight;
                gb2[c] += dz[c];
            }
            if (hidden > 0) {
                double[] dh = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                    double hj = h[j];
                    double acc = 0;
                    for (int c = 0; c < classes; c++) {
                        gw2[j * classes + c] += hj * dz[c];
                        acc += w2[j * classes + c] * dz[c];
                    }
                    dh[j] = hj > 0 ? acc : 0;
                }
                for (int j = 0; j < hidden; j++) {
                    gb1[j] += dh[j];
                }
                for (int i = 0; i < in; i++) {
                    double xi = x[i];
                    if (xi == 0) {
                        continue;
                    }
                    int row = i * hidden;
                    for (int j = 0; j < hidden; j++) {
                        gw1[row + j] += xi * dh[j];
                    }
                }
            } else {
                for (int i = 0; i < in; i++) {
                    double xi = x[i];
                    int row = i * classes;
                    for (int c = 0; c < classes; c++) {
                        gw2[row + c] += xi * dz[c];
                    }
                }
            }
        }

        void addL2(double l2) {
            if (l2 == 0) {
                return;
            }
            for (int i = 0; i < w1.length; i++) {
                gw1[i] += l2 * w1[i];
            }
            for (int i = 0; i < w2.length; i++) {
                gw2[i] += l2 * w2[i];
            }
        }

        double loss(float[][] x, double[][] targets, int[] rows, double temperature) {
            double total = 0;
            for (int r : rows) {
                forward(x[r], temperature);
                for (int c = 0; c < classes; c++) {
                    if (targets[r][c] > 0) {
                        total -= targets[r][c] * Math.log(Math.max(1e-12, p[c]));
                    }
                }
            }
            return total / rows.length;
        }

        Head toHead() {
            float[] fw2 = toFloats(w2);
            float[] fb2 = toFloats(b2);
            if (hidden == 0) {
                return new Head(in, classes, null, null, fw2, fb2);
            }
            return new Head(in, classes, toFloats(w1), toFloats(b1), fw2, fb2);
        }

        private static float[] toFloats(double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
    }

    /** Adam over a fixed list of parameter arrays. */
    private static final class Adam {
        private static final double BETA1 = 0.9;
        private static final double BETA2 = 0.999;
        private static final double EPS = 1e-8;
        private final List<double[]> params;
        private final List<double[]> m = new ArrayList<>();
        private final List<double[]> v = new ArrayList<>();
        private final double lr;
        private int t;

        Adam(List<double[]> params, double lr) {
            this.params = params;
            this.lr = lr;
            for (double[] p : params) {
                m.add(new double[p.length]);
                v.add(new double[p.length]);
            }
        }

        void step(List<double[]> grads) {
            t++;
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            for (int k = 0; k < params.size(); k++) {
                double[] p = params.get(k);
                double[] g = grads.get(k);
                double[] mk = m.get(k);
                double[] vk = v.get(k);
                for (int i = 0; i < p.length; i++) {
                    mk[i] = BETA1 * mk[i] + (1 - BETA1) * g[i];
                    vk[i] = BETA2 * vk[i] + (1 - BETA2) * g[i] * g[i];
                    p[i] -= lr * (mk[i] / c1) / (Math.sqrt(vk[i] / c2) + EPS);
                }
            }
        }
    }
}
