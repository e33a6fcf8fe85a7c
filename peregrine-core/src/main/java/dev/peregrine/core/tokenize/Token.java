package dev.peregrine.core.tokenize;

import java.util.Objects;

/**
 * One token of a text as the tokenizer produced it, for showing to people (text-embeddings-inference's
 * {@code /tokenize}).
 *
 * @param id      the token id
 * @param text    for a special token its own string ({@code [CLS]}); otherwise the piece of the text it
 *                covers, as written (not the vocabulary entry: {@code "Charged"}, not {@code "charged"})
 * @param special whether the tokenizer added it (or the text spelled a special token)
 * @param start   where the piece starts in the text, in UTF-8 bytes (text-embeddings-inference's unit);
 *                -1 for a special token
 * @param stop    where it ends (exclusive), in UTF-8 bytes; -1 for a special token
 */
public record Token(long id, String text, boolean special, int start, int stop) {

    public Token {
        Objects.requireNonNull(text, "text");
        if (special ? start != -1 || stop != -1 : start < 0 || stop < start) {
            throw new IllegalArgumentException("bad offsets " + start + ".." + stop + " for "
                    + (special ? "a special" : "an ordinary") + " token");
        }
    }
}
