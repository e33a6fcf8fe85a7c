package dev.peregrine.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A classifier's answer for one text.
 *
 * @param label         the most probable class
 * @param score         its probability
 * @param labels        every class name, in the model's index order (shared, not copied)
 * @param probabilities one probability per class, in the same order (softmax of the logits, or
 *                      per-class sigmoid for multi-label models)
 */
public record Classification(String label, float score, List<String> labels, float[] probabilities) {

    public Classification {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(probabilities, "probabilities");
        if (labels.size() != probabilities.length) {
            throw new IllegalArgumentException(
                    labels.size() + " labels but " + probabilities.length + " probabilities");
        }
    }

    /** Builds the answer from one row of probabilities: the top class is the arg-max. */
    public static Classification of(List<String> labels, float[] probabilities) {
        int best = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[best]) {
                best = i;
            }
        }
        return new Classification(labels.get(best), probabilities[best], labels, probabilities);
    }

    /** Every class with its probability, most probable first (ties in index order). */
    public List<LabelScore> ranked() {
        return top(probabilities.length);
    }

    /** The {@code k} most probable classes, most probable first; fewer when the model has fewer. */
    public List<LabelScore> top(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, was " + k);
        }
        Integer[] order = new Integer[probabilities.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -probabilities[i]));
        List<LabelScore> out = new ArrayList<>(Math.min(k, order.length));
        for (int i = 0; i < Math.min(k, order.length); i++) {
            out.add(new LabelScore(labels.get(order[i]), probabilities[order[i]]));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Classification c && label.equals(c.label) && score == c.score
                && labels.equals(c.labels) && Arrays.equals(probabilities, c.probabilities);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(label, score, labels) + Arrays.hashCode(probabilities);
    }

    @Override
    public String toString() {
        return "Classification[" + label + "=" + score + "]";
    }
}
