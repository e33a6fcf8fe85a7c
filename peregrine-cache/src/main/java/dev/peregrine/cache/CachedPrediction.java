package dev.peregrine.cache;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the cache keeps for one text: a model's output row and the facts a response reports about it.
 *
 * <p>The record holds its array as given, without a copy, and the cache hands the same instance to
 * every caller that asks for the same text: treat {@link #values()} as read-only (then the record
 * is safe to share between threads). Equality compares the array's contents, so two predictions are
 * equal when every float has the same bits.
 *
 * @param values    an embedding, or one probability per class (in the model's label order)
 * @param tokens    how many tokens the model saw for the text, special tokens included (the usage
 *                  an OpenAI-style response reports)
 * @param truncated whether the text was cut to the model's maximum length
 * @param unknownTokens how many of the tokens were the tokenizer's unknown token (drift monitoring
 *                  watches it, cached or not)
 */
public record CachedPrediction(float[] values, int tokens, boolean truncated, int unknownTokens) {

    /**
     * @throws NullPointerException     when {@code values} is null
     * @throws IllegalArgumentException when {@code tokens} is negative, or fewer than {@code unknownTokens}
     */
    public CachedPrediction {
        Objects.requireNonNull(values, "values");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
        }
        if (unknownTokens < 0 || unknownTokens > tokens) {
            throw new IllegalArgumentException("unknownTokens must be in 0.." + tokens + ", was " + unknownTokens);
        }
    }

    /** A prediction whose text had no unknown tokens (or whose count does not matter). */
    public CachedPrediction(float[] values, int tokens, boolean truncated) {
        this(values, tokens, truncated, 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachedPrediction p && tokens == p.tokens && truncated == p.truncated
                && unknownTokens == p.unknownTokens && Arrays.equals(values, p.values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * Arrays.hashCode(values) + tokens) + Boolean.hashCode(truncated)) + unknownTokens;
    }

    @Override
    public String toString() {
        return "CachedPrediction[" + values.length + " values, tokens=" + tokens + ", truncated=" + truncated
                + ", unknown=" + unknownTokens + "]";
    }
}
