package dev.peregrine.core.tokenize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Splits one text, tokenized whole, into windows the model can take: pure arithmetic on token ids.
 *
 * <p>The text's content tokens (everything between its leading and trailing special tokens, such as
 * BERT's {@code [CLS]}/{@code [SEP]} or RoBERTa's {@code <s>}/{@code </s>}) are cut into slices of
 * {@code maxLength - specials} tokens; each window is the text's own leading special tokens, one
 * slice, and its trailing special tokens, so every window looks to the model like a text of its own
 * family. A window starts every {@code slice - overlap} tokens, and the last one ends at the text's
 * end (it may overlap its neighbour by more than asked): every window is full, so no window is a
 * short tail that carries little text but a full say in a mean, and the last tokens get the same
 * context as the first.
 *
 * <p>A text within {@code maxLength} is one window: the encoding itself, unchanged.
 */
public final class TextWindows {

    private TextWindows() {
    }

    /**
     * The overlap actually used for slices of {@code slice} tokens: the one asked for, but at most
     * half a slice, so that windows always advance by at least half a slice.
     */
    public static int effectiveOverlap(int overlap, int slice) {
        if (overlap < 0 || slice < 1) {
            throw new IllegalArgumentException("overlap " + overlap + ", slice " + slice);
        }
        return Math.min(overlap, slice / 2);
    }

    /**
     * How many windows a text of {@code tokens} tokens (specials included) becomes.
     *
     * @param specials its leading plus trailing special tokens
     */
    public static int count(int tokens, int specials, int maxLength, int overlap) {
        if (tokens <= maxLength) {
            return 1;
        }
        int slice = slice(specials, maxLength);
        int stride = slice - effectiveOverlap(overlap, slice);
        int content = tokens - specials;
        return 1 + (content - slice + stride - 1) / stride;
    }

    private static int slice(int specials, int maxLength) {
        int slice = maxLength - specials;
        if (slice < 1) {
            throw new IllegalArgumentException("a window of " + maxLength + " tokens has no room for text beside "
                    + specials + " special tokens");
        }
        return slice;
    }

    /**
     * The windows of one text.
     *
     * @param whole     the text tokenized without truncation, special tokens included
     * @param leading   how many of its first tokens are special tokens every window repeats
     * @param trailing  how many of its last tokens are
     * @param maxLength the most tokens of a window, special tokens included
     * @param overlap   tokens shared by neighbouring windows (see {@link #effectiveOverlap})
     * @param unknownId the tokenizer's unknown token, counted per window; -1 when it has none
     * @return the windows in text order; {@code whole} itself when it fits
     */
    public static List<EncodedText> split(EncodedText whole, int leading, int trailing, int maxLength, int overlap,
                                          long unknownId) {
        Objects.requireNonNull(whole, "whole");
        int n = whole.length();
        if (leading < 0 || trailing < 0 || leading + trailing > n) {
            throw new IllegalArgumentException("special tokens " + leading + " + " + trailing + " of " + n);
        }
        if (n <= maxLength) {
            return List.of(whole);
        }
        int slice = slice(leading + trailing, maxLength);
        int stride = slice - effectiveOverlap(overlap, slice);
        int content = n - leading - trailing;
        List<EncodedText> windows = new ArrayList<>(count(n, leading + trailing, maxLength, overlap));
        for (int start = 0; ; start += stride) {
            boolean last = start + slice >= content;
            windows.add(window(whole, leading, trailing, last ? content - slice : start, slice, unknownId));
            if (last) {
                return List.copyOf(windows);
            }
        }
    }

    private static EncodedText window(EncodedText whole, int leading, int trailing, int start, int slice, long unknownId) {
        int n = whole.length();
        int length = leading + slice + trailing;
        long[] ids = new long[length];
        long[] types = new long[length];
        copy(whole, 0, leading, ids, types, 0);
        copy(whole, leading + start, slice, ids, types, leading);
        copy(whole, n - trailing, trailing, ids, types, leading + slice);
        int unknown = unknownId < 0 ? 0 : (int) Arrays.stream(ids).filter(id -> id == unknownId).count();
        return new EncodedText(ids, types, false, unknown);
    }

    private static void copy(EncodedText from, int at, int count, long[] ids, long[] types, int to) {
        System.arraycopy(from.ids(), at, ids, to, count);
        System.arraycopy(from.typeIds(), at, types, to, count);
    }
}
