package dev.peregrine.monitor;

import dev.peregrine.core.Task;

/** Sums over a run of predictions; enough to compute every window statistic. Not thread-safe. */
final class Accumulator {

    long count;
    long truncated;
    long tokens;
    long unknown;
    final long[] lengthBins;
    final long[] labelCounts;
    double top1Sum;
    double entropySum;
    final double[] embeddingSum;
    double similaritySum;

    Accumulator(int lengthBinCount, int labelCount, int dimension) {
        lengthBins = new long[lengthBinCount];
        labelCounts = new long[labelCount];
        embeddingSum = new double[dimension];
    }

    static Accumulator forReference(DriftReference ref) {
        return new Accumulator(ref.lengthProportions().length, ref.labels().size(),
                ref.task() == Task.EMBEDDING ? ref.centroid().length : 0);
    }

    void add(Observation o, DriftReference ref) {
        count++;
        tokens += o.tokens();
        unknown += o.unknownTokens();
        if (o.truncated()) {
            truncated++;
        }
        lengthBins[ref.lengthBin(o.tokens())]++;
        if (ref.task() == Task.CLASSIFICATION) {
            float[] p = ReferenceBuilder.requireProbabilities(o);
            if (p.length != labelCounts.length) {
                throw new IllegalArgumentException(p.length + " probabilities but the reference has "
                        + labelCounts.length + " labels");
            }
            int best = Stats.argmax(p);
            labelCounts[best]++;
            top1Sum += p[best];
            entropySum += Stats.entropy(p);
        } else {
            float[] v = ReferenceBuilder.requireEmbedding(o);
            if (v.length != embeddingSum.length) {
                throw new IllegalArgumentException(v.length + "-d embedding but the reference has "
                        + embeddingSum.length + " dimensions");
            }
            double norm = 0;
            for (float x : v) {
                norm += (double) x * x;
            }
            double inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
            float[] c = ref.centroid();
            double dot = 0;
            for (int i = 0; i < v.length; i++) {
                double unit = v[i] * inv;
                embeddingSum[i] += unit;
                dot += unit * c[i];
            }
            similaritySum += dot;
        }
    }

    void addAll(Accumulator other) {
        count += other.count;
        truncated += other.truncated;
        tokens += other.tokens;
        unknown += other.unknown;
        for (int i = 0; i < lengthBins.length; i++) {
            lengthBins[i] += other.lengthBins[i];
        }
        for (int i = 0; i < labelCounts.length; i++) {
            labelCounts[i] += other.labelCounts[i];
        }
        top1Sum += other.top1Sum;
        entropySum += other.entropySum;
        for (int i = 0; i < embeddingSum.length; i++) {
            embeddingSum[i] += other.embeddingSum[i];
        }
        similaritySum += other.similaritySum;
    }

    void clear() {
        count = 0;
        truncated = 0;
        tokens = 0;
        unknown = 0;
        java.util.Arrays.fill(lengthBins, 0);
        java.util.Arrays.fill(labelCounts, 0);
        top1Sum = 0;
        entropySum = 0;
        java.util.Arrays.fill(embeddingSum, 0);
        similaritySum = 0;
    }
}
