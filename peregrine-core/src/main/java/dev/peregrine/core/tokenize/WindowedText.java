package dev.peregrine.core.tokenize;

import java.util.List;

/**
 * One text as {@link dev.peregrine.core.engine.LongTextMode#CHUNK} runs it: its windows, and what tokenization found in the
 * whole text.
 *
 * @param windows       one or more, in text order, each at most the model's maximum length
 * @param tokens        the whole text's tokens, special tokens included (what the caller is told
 *                      it sent; the windows together run more where they overlap)
 * @param unknownTokens the whole text's unknown tokens
 */
public record WindowedText(List<EncodedText> windows, int tokens, int unknownTokens) {

    public WindowedText {
        windows = List.copyOf(windows);
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a text has at least one window");
        }
        if (tokens < 0 || unknownTokens < 0 || unknownTokens > tokens) {
            throw new IllegalArgumentException("tokens " + tokens + ", unknown " + unknownTokens);
        }
    }

    /** A text that fits the model: its encoding is its only window. */
    public static WindowedText of(EncodedText single) {
        return new WindowedText(List.of(single), single.length(), single.unknownTokens());
    }

    /** How many windows it runs as. */
    public int count() {
        return windows.size();
    }

    /** The tokens its windows run, overlaps counted twice: the work it costs. */
    public long windowTokens() {
        long sum = 0;
        for (EncodedText w : windows) {
            sum += w.length();
        }
        return sum;
    }
}
