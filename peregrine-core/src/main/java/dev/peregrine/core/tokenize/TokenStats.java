package dev.peregrine.core.tokenize;

/**
 * What tokenization found in one text: the facts every layer reports or watches beside a model's
 * output (usage counts, the truncation flag, the drift monitor's input level, the cache entry).
 *
 * @param tokens        tokens the model saw, special tokens included
 * @param truncated     whether the text was cut to the model's limit
 * @param unknownTokens how many of the tokens were the tokenizer's unknown token
 */
public record TokenStats(int tokens, boolean truncated, int unknownTokens) {

    /**
     * @throws IllegalArgumentException when {@code tokens} is negative, or {@code unknownTokens} is
     *                                  outside {@code 0..tokens}
     */
    public TokenStats {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
        }
        if (unknownTokens < 0 || unknownTokens > tokens) {
            throw new IllegalArgumentException("unknownTokens must be in 0.." + tokens + ", was " + unknownTokens);
        }
    }

    /** The statistics of one tokenized text. */
    public static TokenStats of(EncodedText encoded) {
        return new TokenStats(encoded.length(), encoded.truncated(), encoded.unknownTokens());
    }
}
