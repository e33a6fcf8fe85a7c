package dev.peregrine.core.tokenize;

import java.util.Objects;

/**
 * One text as the model sees it: token ids with special tokens, already truncated to the model's
 * limit. Padding is not stored; it is added per batch, up to the longest member only.
 *
 * @param ids            token ids, special tokens included; length is {@link #length()}
 * @param typeIds        segment ids of the same length (all zero for single texts)
 * @param truncated      whether the tokenizer cut the text to fit the maximum length
 * @param unknownTokens  how many tokens are the tokenizer's unknown token (a drift signal)
 */
public record EncodedText(long[] ids, long[] typeIds, boolean truncated, int unknownTokens) {

    public EncodedText {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(typeIds, "typeIds");
        if (ids.length != typeIds.length) {
            throw new IllegalArgumentException(
                    "ids and typeIds differ in length: " + ids.length + " vs " + typeIds.length);
        }
        if (unknownTokens < 0 || unknownTokens > ids.length) {
            throw new IllegalArgumentException("unknownTokens out of range: " + unknownTokens);
        }
    }

    /** Number of tokens, special tokens included. */
    public int length() {
        return ids.length;
    }
}
