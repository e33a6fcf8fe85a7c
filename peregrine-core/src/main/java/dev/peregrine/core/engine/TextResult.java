package dev.peregrine.core.engine;

import dev.peregrine.core.tokenize.TokenStats;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A model's answer for one text: the output row and what tokenization found. The one per-text
 * result that the server's batcher, prediction cache, drift monitor and wire formats all fill or read.
 *
 * <p>The record holds its array as given, without a copy, and may be shared between threads and
 * callers (the cache hands one instance to every caller asking for the same text): treat
 * {@link #values()} as read-only once the record is published. Equality compares the array's
 * contents, so two results are equal when every float has the same bits.
 *
 * @param values an embedding, or one probability per class in the model's label order
 * @param stats  the text's token statistics
 */
public record TextResult(float[] values, TokenStats stats) {

    public TextResult {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(stats, "stats");
    }

    /** A result with these statistics. */
    public static TextResult of(float[] values, int tokens, boolean truncated, int unknownTokens) {
        return new TextResult(values, new TokenStats(tokens, truncated, unknownTokens));
    }

    /** A result whose text had no unknown tokens (or whose count does not matter). */
    public static TextResult of(float[] values, int tokens, boolean truncated) {
        return of(values, tokens, truncated, 0);
    }

    /** Tokens the model saw, special tokens included. */
    public int tokens() {
        return stats.tokens();
    }

    /** Whether the text was cut to the model's limit. */
    public boolean truncated() {
        return stats.truncated();
    }

    /** Tokens that were the tokenizer's unknown token. */
    public int unknownTokens() {
        return stats.unknownTokens();
    }

    /** How many windows the text ran as (1 unless it was split: {@link LongTextMode#CHUNK}). */
    public int windows() {
        return stats.windows();
    }

    /** The same statistics with other values (normalized, say). */
    public TextResult withValues(float[] other) {
        return new TextResult(other, stats);
    }

    /** A classifier's answer built from {@link #values()} as probabilities. */
    public Classification classification(List<String> labels) {
        return Classification.of(labels, values);
    }

    /** Tokens of all results (OpenAI's {@code prompt_tokens}). */
    public static int totalTokens(List<TextResult> results) {
        int sum = 0;
        for (TextResult r : results) {
            sum += r.tokens();
        }
        return sum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TextResult r && stats.equals(r.stats) && Arrays.equals(values, r.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + stats.hashCode();
    }

    @Override
    public String toString() {
        return "TextResult[" + values.length + " values, tokens=" + stats.tokens() + ", truncated=" + stats.truncated()
                + ", unknown=" + stats.unknownTokens() + (stats.windows() > 1 ? ", windows=" + stats.windows() : "") + "]";
    }
}
