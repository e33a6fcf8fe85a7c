package dev.peregrine.monitor;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.TextResult;

/**
 * What the monitor learns from one prediction. Arrays are read, never modified or kept.
 *
 * @param tokens         tokens the model saw (after truncation, special tokens included)
 * @param truncated      whether the text was cut to fit
 * @param unknownTokens  how many of the tokens were the tokenizer's unknown token
 * @param probabilities  class probabilities of a classifier, or null
 * @param embedding      an embedder's vector (normalized or not), or null
 */
public record Observation(int tokens, boolean truncated, int unknownTokens, float[] probabilities, float[] embedding) {

    public Observation {
        if (tokens < 0 || unknownTokens < 0 || unknownTokens > tokens) {
            throw new IllegalArgumentException("bad token counts: " + tokens + " tokens, " + unknownTokens + " unknown");
        }
        if ((probabilities == null) == (embedding == null)) {
            throw new IllegalArgumentException("an observation has either probabilities or an embedding");
        }
    }

    /** One answered text of a model of {@code task}: its values as probabilities or as an embedding. */
    public static Observation of(Task task, TextResult result) {
        return task == Task.CLASSIFICATION
                ? classified(result.tokens(), result.truncated(), result.unknownTokens(), result.values())
                : embedded(result.tokens(), result.truncated(), result.unknownTokens(), result.values());
    }

    public static Observation classified(int tokens, boolean truncated, int unknownTokens, float[] probabilities) {
        return new Observation(tokens, truncated, unknownTokens, probabilities, null);
    }

    public static Observation embedded(int tokens, boolean truncated, int unknownTokens, float[] embedding) {
        return new Observation(tokens, truncated, unknownTokens, null, embedding);
    }
}
