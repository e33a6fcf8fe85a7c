package dev.peregrine.core.tokenize;

/**
 * What tokenization found in one text: the facts every layer reports or watches beside a model's
 * output (usage counts, the truncation flag, the drift monitor's input level, the cache entry).
 *
 * @param tokens        tokens the model saw, special tokens included
 * @param truncated     whether the text was cut to the model's limit
 * @param unknownTokens how many of the tokens were the tokenizer's unknown token
 * @param windows       how many windows the text ran as: 1, unless it was longer than the model's
 *                      limit and split ({@link dev.peregrine.core.engine.LongTextMode#CHUNK}); then
 *                      {@code tokens} counts the whole text, each token once
 */
public record TokenStats(int tokens, boolean truncated, int unknownTokens, int windows) {

    /**
     * @throws IllegalArgumentException when {@code tokens} is negative, or {@code unknownTokens} is
     *                                  outside {@code 0..tokens}, or {@code windows} is below 1
     */
    public TokenStats {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
        }
        if (unknownTokens < 0 || unknownTokens > tokens) {
            throw new IllegalArgumentException("unknownTokens must be in 0.." + tokens + ", was " + unknownTokens);
        }
        if (windows < 1) {
            throw new IllegalArgumentException("windows must be >= 1, was " + windows);
        }
    }

    /** A text that ran as one window. */
    public TokenStats(int tokens, boolean truncated, int unknownTokens) {
        this(tokens, truncated, unknownTokens, 1);
    }

    /** The statistics of a text split into windows: the whole text's tokens, and its windows. */
    public static TokenStats of(WindowedText windowed) {
        return new TokenStats(windowed.tokens(), false, windowed.unknownTokens(), windowed.count());
    }

    /** The statistics of one tokenized text. */
    public static TokenStats of(EncodedText encoded) {
        return new TokenStats(encoded.length(), encoded.truncated(), encoded.unknownTokens());
    }
}
