package dev.peregrine.core.testing;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Long-text windows worked out by hand, independently of Peregrine's splitter, for tests to compare
 * with: the text tokenized whole by the Hugging Face library itself, then cut the documented way
 * (one leading and one trailing special token, as BERT's [CLS]/[SEP] and RoBERTa's {@code <s>}/{@code </s>}).
 */
public final class HandWindows {

    private HandWindows() {
    }

    /** The token ids of a whole text, special tokens included, no truncation. */
    public static long[] wholeIds(Path tokenizerJson, String text) {
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"))) {
            return t.encode(text).getIds();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The windows of a text whose first and last ids are special tokens: slices of
     * {@code maxLength - 2} content tokens every {@code slice - overlap} tokens, the last slice
     * ending at the text's end, each between the two special tokens.
     */
    public static List<long[]> split(long[] ids, int maxLength, int overlap) {
        if (ids.length <= maxLength) {
            return List.of(ids);
        }
        long first = ids[0];
        long last = ids[ids.length - 1];
        long[] content = Arrays.copyOfRange(ids, 1, ids.length - 1);
        int slice = maxLength - 2;
        int stride = slice - Math.min(overlap, slice / 2);
        List<Integer> starts = new ArrayList<>();
        int start = 0;
        while (start + slice < content.length) {
            starts.add(start);
            start += stride;
        }
        starts.add(content.length - slice);
        List<long[]> windows = new ArrayList<>();
        for (int s : starts) {
            long[] w = new long[maxLength];
            w[0] = first;
            System.arraycopy(content, s, w, 1, slice);
            w[maxLength - 1] = last;
            windows.add(w);
        }
        return windows;
    }

    /** A text of at least {@code minTokens} tokens: the shipped varied texts (eleven languages), one per line, over and over. */
    public static String longText(Path tokenizerJson, int minTokens) {
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"))) {
            StringBuilder text = new StringBuilder();
            List<String> pieces = Fixtures.variedTexts();
            int i = 0;
            while (true) {
                for (int k = 0; k < 8; k++) {
                    text.append(pieces.get(i++ % pieces.size())).append('\n');
                }
                if (t.encode(text.toString()).getIds().length >= minTokens) {
                    return text.toString();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
