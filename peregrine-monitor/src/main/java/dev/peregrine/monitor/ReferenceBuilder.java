package dev.peregrine.monitor;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Collects predictions and turns them into a {@link DriftReference}. Keeps every length and (for
 * embedders) every normalized vector until {@link #build()}, so it is meant for a bounded number of
 * samples (a data file, or the first N served predictions). Not thread-safe.
 */
public final class ReferenceBuilder {

    private final String model;
    private final Task task;
    private final List<String> labels;
    private final List<Integer> lengths = new ArrayList<>();
    private final List<float[]> vectors = new ArrayList<>();
    private long truncated;
    private long tokens;
    private long unknown;
    private long[] labelCounts;
    private double top1Sum;
    private double entropySum;

    /**
     * @param labels class names for a classifier; ignored for embedders
     */
    public ReferenceBuilder(String model, Task task, List<String> labels) {
        this.model = Objects.requireNonNull(model, "model");
        this.task = Objects.requireNonNull(task, "task");
        this.labels = task == Task.CLASSIFICATION ? List.copyOf(labels) : List.of();
        if (task == Task.CLASSIFICATION && this.labels.isEmpty()) {
            throw new IllegalArgumentException("a classifier's reference needs its labels");
        }
        this.labelCounts = new long[this.labels.size()];
    }

    public int size() {
        return lengths.size();
    }

    public void add(Observation o) {
        lengths.add(o.tokens());
        tokens += o.tokens();
        unknown += o.unknownTokens();
        if (o.truncated()) {
            truncated++;
        }
        if (task == Task.CLASSIFICATION) {
            float[] p = requireProbabilities(o);
            labelCounts[Stats.argmax(p)]++;
            top1Sum += p[Stats.argmax(p)];
            entropySum += Stats.entropy(p);
        } else {
            vectors.add(Vectors.normalized(requireEmbedding(o)));
        }
    }

    /**
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when fewer than
     *                            {@link DriftReference#MIN_SAMPLES} predictions were added
     */
    public DriftReference build() {
        int n = lengths.size();
        if (n < DriftReference.MIN_SAMPLES) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "a drift reference needs at least "
                    + DriftReference.MIN_SAMPLES + " texts of normal traffic; got " + n);
        }
        int[] sorted = lengths.stream().mapToInt(Integer::intValue).sorted().toArray();
        TreeSet<Integer> edgeSet = new TreeSet<>();
        for (int decile = 1; decile <= 9; decile++) {
            edgeSet.add(sorted[Math.min(n - 1, (int) Math.floor(decile * n / 10.0))]);
        }
        int[] edges = edgeSet.stream().mapToInt(Integer::intValue).toArray();
        double[] lengthProportions = new double[edges.length + 1];
        for (int len : sorted) {
            lengthProportions[bin(edges, len)] += 1.0 / n;
        }
        double unknownRate = tokens == 0 ? 0 : (double) unknown / tokens;
        if (task == Task.CLASSIFICATION) {
            double[] proportions = Arrays.stream(labelCounts).mapToDouble(c -> (double) c / n).toArray();
            return new DriftReference(model, task, n, edges, lengthProportions, (double) tokens / n,
                    (double) truncated / n, unknownRate, labels, proportions, top1Sum / n, entropySum / n,
                    null, 0, 0);
        }
        int dim = vectors.get(0).length;
        double[] sum = new double[dim];
        for (float[] v : vectors) {
            for (int i = 0; i < dim; i++) {
                sum[i] += v[i];
            }
        }
        float[] centroid = new float[dim];
        for (int i = 0; i < dim; i++) {
            centroid[i] = (float) (sum[i] / n);
        }
        Vectors.normalizeInPlace(centroid);
        double simSum = 0;
        double simSq = 0;
        for (float[] v : vectors) {
            double s = Stats.dot(v, centroid);
            simSum += s;
            simSq += s * s;
        }
        double mean = simSum / n;
        double std = Math.sqrt(Math.max(0, simSq / n - mean * mean));
        return new DriftReference(model, task, n, edges, lengthProportions, (double) tokens / n,
                (double) truncated / n, unknownRate, List.of(), null, 0, 0, centroid, mean, std);
    }

    private static int bin(int[] edges, int len) {
        for (int i = 0; i < edges.length; i++) {
            if (len <= edges[i]) {
                return i;
            }
        }
        return edges.length;
    }

    static float[] requireProbabilities(Observation o) {
        if (o.probabilities() == null) {
            throw new IllegalArgumentException("a classifier's observation needs probabilities");
        }
        return o.probabilities();
    }

    static float[] requireEmbedding(Observation o) {
        if (o.embedding() == null) {
            throw new IllegalArgumentException("an embedder's observation needs an embedding");
        }
        return o.embedding();
    }
}
