package dev.peregrine.server.inference;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.List;

/**
 * What tokenization found in one text: what the cache stores beside a prediction, and what the
 * drift monitor's input level watches.
 *
 * @param tokens        tokens the model saw, special tokens included
 * @param truncated     whether the text was cut to the model's limit
 * @param unknownTokens tokens that were the tokenizer's unknown token
 */
public record TextStats(int tokens, boolean truncated, int unknownTokens) {

    public static TextStats of(EncodedText e) {
        return new TextStats(e.length(), e.truncated(), e.unknownTokens());
    }

    public static List<TextStats> of(List<EncodedText> encoded) {
        List<TextStats> out = new ArrayList<>(encoded.size());
        for (EncodedText e : encoded) {
            out.add(of(e));
        }
        return out;
    }

    /** Tokens of all texts. */
    public static int totalTokens(List<TextStats> stats) {
        int sum = 0;
        for (TextStats s : stats) {
            sum += s.tokens();
        }
        return sum;
    }
}
