package dev.peregrine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadTrainerTest {

    /** Three Gaussian blobs in 8 dimensions, one per class. */
    private static float[][] blobs(int perClass, long seed, int[] yOut) {
        Random r = new Random(seed);
        float[][] x = new float[perClass * 3][8];
        for (int i = 0; i < x.length; i++) {
            int c = i % 3;
            yOut[i] = c;
            for (int d = 0; d < 8; d++) {
                x[i][d] = (float) (r.nextGaussian() * 0.6 + (d % 3 == c ? 2 : 0));
            }
        }
        return x;
    }

    @Test
    void logisticAndMlp_separateBlobs_onHeldOutData() {
        int[] y = new int[300];
        float[][] x = blobs(100, 1, y);
        int[] yTest = new int[150];
        float[][] xTest = blobs(50, 2, yTest);
        for (HeadKind kind : HeadKind.values()) {
            Head head = HeadTrainer.fit(x, HeadTrainer.oneHot(y, 3), HeadOptions.defaults().withKind(kind).withHiddenSize(16)).head();
            int correct = 0;
            for (int i = 0; i < xTest.length; i++) {
                if (head.predict(xTest[i]) == yTest[i]) {
                    correct++;
                }
            }
            assertThat(correct / 150.0).as(kind.id()).isGreaterThan(0.95);
            assertThat(head.kind()).isEqualTo(kind);
        }
    }

    @Test
    void sameSeed_givesBitIdenticalHeads_otherSeedsDiffer() {
        int[] y = new int[150];
        float[][] x = blobs(50, 3, y);
        HeadOptions options = HeadOptions.defaults().withKind(HeadKind.MLP).withHiddenSize(8);
        Head a = HeadTrainer.fit(x, HeadTrainer.oneHot(y, 3), options).head();
        Head b = HeadTrainer.fit(x, HeadTrainer.oneHot(y, 3), options).head();
        Head c = HeadTrainer.fit(x, HeadTrainer.oneHot(y, 3), options.withSeed(7)).head();
        assertThat(a.outW()).containsExactly(b.outW());
        assertThat(a.hiddenW()).containsExactly(b.hiddenW());
        assertThat(a.outW()).isNotEqualTo(c.outW());
    }

    @Test
    void earlyStopping_keepsTheBestEpoch() {
        int[] y = new int[90];
        float[][] x = blobs(30, 4, y);
        HeadTrainer.Fit fit = HeadTrainer.fit(x, HeadTrainer.oneHot(y, 3), HeadOptions.defaults());
        assertThat(fit.bestEpoch()).isBetween(1, fit.epochs());
        assertThat(fit.epochs()).isLessThanOrEqualTo(HeadOptions.defaults().maxEpochs());
        assertThat(fit.bestValidationLoss()).isFinite().isLessThan(Math.log(3));
    }

    @Test
    void softTargets_areMatched() {
        // Every example says 70/30 between classes 0 and 1 whatever its features: the head learns the prior.
        float[][] x = blobs(34, 5, new int[102]);
        double[][] t = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            t[i] = new double[] {0.7, 0.3};
        }
        Head head = HeadTrainer.fit(x, t, HeadOptions.defaults().withL2(1e-2)).head();
        double[] z = head.logits(x[0]);
        double p0 = 1 / (1 + Math.exp(z[1] - z[0]));
        assertThat(p0).isBetween(0.6, 0.8);
    }

    @Test
    void stratifiedSplit_holdsOutEveryClass() {
        double[][] t = HeadTrainer.oneHot(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2}, 3);
        int[][] split = HeadTrainer.stratifiedSplit(t, 0.2, new java.util.SplittableRandom(1));
        assertThat(split[0].length + split[1].length).isEqualTo(17);
        java.util.List<Integer> held = java.util.Arrays.stream(split[1]).boxed().toList();
        assertThat(held).anySatisfy(i -> assertThat(i).isLessThan(10));
        assertThat(held).anySatisfy(i -> assertThat(i).isBetween(10, 14));
        assertThat(held).anySatisfy(i -> assertThat(i).isGreaterThanOrEqualTo(15));
    }
}
