package dev.peregrine.core.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library (through DJL's binding),
 * configured the way batched inference needs it: special tokens added, truncation at the model's
 * maximum length, and no padding (the engine pads each batch to its own longest member). Whatever
 * padding or truncation the file itself declares is overridden.
 *
 * <h2>Bounded work</h2>
 * The cost of tokenizing grows with the characters given, not with the tokens kept: a 9 MB text
 * took over a minute (and gigabytes of native memory) to become 4.5 million tokens of which 256
 * were used. So every text is first cut to a <em>character budget</em>,
 * {@link #MAX_CHARS_PER_TOKEN} characters per token of the maximum length, before the native
 * tokenizer sees it. Natural-language text averages 3-6 characters per token and code or URLs
 * fewer, so for any ordinary text the characters past the budget lie far beyond the token limit and
 * the cut changes nothing: the result equals tokenizing the whole text and truncating. Only
 * contrived texts (tens of characters of whitespace or of one unbroken word per token) can differ;
 * a text that was cut is always reported as {@link EncodedText#truncated() truncated}.
 *
 * <p>Thread-safe: the native tokenizer is immutable once built. Close it to free native memory.
 */
public final class TextTokenizer implements AutoCloseable {

    /**
     * Characters per token of the maximum length that a text may have before it is cut (or, when
     * truncation is not allowed, refused) without tokenizing: about ten times what natural language
     * needs, so the budget never decides the result for an ordinary text.
     */
    public static final int MAX_CHARS_PER_TOKEN = 64;


    private final HuggingFaceTokenizer truncating;
    private final HuggingFaceTokenizer counting;
    private final int maxLength;
    private final Vocabulary vocabulary;

    private TextTokenizer(HuggingFaceTokenizer truncating, HuggingFaceTokenizer counting, int maxLength,
                          Vocabulary vocabulary) {
        this.truncating = truncating;
        this.counting = counting;
        this.maxLength = maxLength;
        this.vocabulary = vocabulary;
    }

    /**
     * Loads a tokenizer.
     *
     * @param tokenizerJson the {@code tokenizer.json} file
     * @param maxLength     the longest sequence to produce, special tokens included
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when the file cannot be read or parsed
     */
    public static TextTokenizer load(Path tokenizerJson, int maxLength) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, was " + maxLength);
        }
        Vocabulary vocabulary = vocabulary(tokenizerJson);
        HuggingFaceTokenizer truncating = null;
        try {
            truncating = build(tokenizerJson, maxLength, true);
            HuggingFaceTokenizer counting = build(tokenizerJson, maxLength, false);
            return new TextTokenizer(truncating, counting, maxLength, vocabulary);
        } catch (IOException | RuntimeException e) {
            if (truncating != null) {
                truncating.close();
            }
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    "cannot load tokenizer " + tokenizerJson + ": " + firstLine(e.getMessage()), e);
        }
    }

    private static HuggingFaceTokenizer build(Path file, int maxLength, boolean truncate) throws IOException {
        return HuggingFaceTokenizer.newInstance(file, Map.of(
                "addSpecialTokens", "true",
                "padding", "false",
                "truncation", Boolean.toString(truncate),
                "maxLength", Integer.toString(maxLength)));
    }

    /** The longest sequence this tokenizer produces, special tokens included. */
    public int maxLength() {
        return maxLength;
    }

    /**
     * The most characters (UTF-16 units) of a text that are tokenized: {@link #maxLength()} x
     * {@link #MAX_CHARS_PER_TOKEN}. Longer texts are cut to it first.
     */
    public int charBudget() {
        return (int) Math.min(Integer.MAX_VALUE - 8, (long) maxLength * MAX_CHARS_PER_TOKEN);
    }

    /** Whether {@code text} is longer than the {@link #charBudget()} (it would be cut before tokenizing). */
    public boolean overBudget(String text) {
        return text.length() > charBudget();
    }

    /** Encodes one text, truncated to {@link #maxLength()}. */
    public EncodedText encode(String text) {
        Objects.requireNonNull(text, "text");
        String kept = withinBudget(text);
        Encoding e = truncating.encode(kept);
        return toEncoded(e.getIds(), e.getTypeIds(), kept != text || e.exceedMaxLength());
    }

    /**
     * Encodes many texts at once (the native library spreads the work over its own threads), special
     * tokens added, cut at the end when too long. Results are in input order.
     */
    public List<EncodedText> encodeAll(List<String> texts) {
        return encodeAll(texts, TruncationDirection.RIGHT, true);
    }

    /**
     * Encodes many texts at once, each cut to {@link #maxLength()} tokens at the given end.
     *
     * <p>With {@code addSpecialTokens} false the texts are taken to spell their special tokens
     * themselves (a text decoded from token ids with its {@code [CLS]} and {@code [SEP]}), and a cut
     * keeps the special tokens at either end, as the tokenizer's own truncation does when it adds them.
     * Left cuts (and cuts without added special tokens) keep the <em>last</em> part of an over-long
     * text within the character budget, so a left cut sees the text's end.
     *
     * @param direction        which end of a too-long text is cut
     * @param addSpecialTokens add the model's special tokens ({@code [CLS]} ... {@code [SEP]})
     * @return one encoding per text, in input order
     */
    public List<EncodedText> encodeAll(List<String> texts, TruncationDirection direction, boolean addSpecialTokens) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(direction, "direction");
        if (texts.isEmpty()) {
            return List.of();
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "text " + i + " is null");
            }
        }
        // The library's own truncation does the common case; the rest is cut here, after encoding whole.
        boolean library = direction == TruncationDirection.RIGHT && addSpecialTokens;
        List<String> kept = new ArrayList<>(texts.size());
        boolean[] cut = new boolean[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            String k = direction == TruncationDirection.RIGHT ? withinBudget(text) : tailWithinBudget(text);
            cut[i] = k != text;
            kept.add(k);
        }
        HuggingFaceTokenizer tokenizer = library ? truncating : counting;
        Encoding[] encodings = kept.size() == 1
                ? new Encoding[] {tokenizer.encode(kept.get(0), addSpecialTokens, false)}
                : tokenizer.batchEncode(kept, addSpecialTokens, false);
        List<EncodedText> out = new ArrayList<>(encodings.length);
        for (int i = 0; i < encodings.length; i++) {
            Encoding e = encodings[i];
            if (library) {
                out.add(toEncoded(e.getIds(), e.getTypeIds(), cut[i] || e.exceedMaxLength()));
            } else {
                out.add(cut(e, direction, cut[i]));
            }
        }
        return out;
    }

    /**
     * An encoding made without truncation, cut to {@link #maxLength()} at {@code direction}'s end. The
     * special tokens at either end stay (those the tokenizer added, and spelled ones with special ids);
     * the tokens between them are cut.
     */
    private EncodedText cut(Encoding e, TruncationDirection direction, boolean alreadyCut) {
        long[] ids = e.getIds();
        long[] types = e.getTypeIds();
        int n = ids.length;
        if (n <= maxLength) {
            return toEncoded(ids, types, alreadyCut);
        }
        long[] mask = e.getSpecialTokenMask();
        int lead = 0;
        while (lead < n && special(ids[lead], mask[lead])) {
            lead++;
        }
        int trail = 0;
        while (trail < n - lead && special(ids[n - 1 - trail], mask[n - 1 - trail])) {
            trail++;
        }
        int keep = maxLength - lead - trail;
        if (keep <= 0) {
            // Nothing but special tokens fits: keep the end that the direction keeps.
            int from = direction == TruncationDirection.LEFT ? n - maxLength : 0;
            return toEncoded(Arrays.copyOfRange(ids, from, from + maxLength),
                    Arrays.copyOfRange(types, from, from + maxLength), true);
        }
        int middleFrom = direction == TruncationDirection.LEFT ? n - trail - keep : lead;
        long[] outIds = new long[maxLength];
        long[] outTypes = new long[maxLength];
        System.arraycopy(ids, 0, outIds, 0, lead);
        System.arraycopy(types, 0, outTypes, 0, lead);
        System.arraycopy(ids, middleFrom, outIds, lead, keep);
        System.arraycopy(types, middleFrom, outTypes, lead, keep);
        System.arraycopy(ids, n - trail, outIds, lead + keep, trail);
        System.arraycopy(types, n - trail, outTypes, lead + keep, trail);
        return toEncoded(outIds, outTypes, true);
    }

    private boolean special(long id, long maskBit) {
        return maskBit == 1 || vocabulary.specialIds().contains(id);
    }

    /**
     * Every token of a text, without truncation, for people to read (text-embeddings-inference's
     * {@code /tokenize}): id, text, whether it is special, and where it lies in the text.
     *
     * @throws PeregrineException {@link ErrorKind#INPUT_TOO_LONG} when the text is over the
     *                            {@link #charBudget()} (tokenizing it whole costs what the budget prevents)
     */
    public List<Token> tokens(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        if (overBudget(text)) {
            throw new PeregrineException(ErrorKind.INPUT_TOO_LONG, "a text of " + text.length()
                    + " characters is over the tokenizer's budget of " + charBudget() + " characters");
        }
        Encoding e = counting.encode(text, addSpecialTokens, false);
        long[] ids = e.getIds();
        long[] mask = e.getSpecialTokenMask();
        String[] names = e.getTokens();
        CharSpan[] spans = e.getCharTokenSpans();
        List<Token> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            if (mask[i] == 1 || spans[i] == null) {
                out.add(new Token(ids[i], names[i], true, -1, -1));
            } else {
                // The library counts in code points; Java strings in UTF-16 units; the wire in UTF-8 bytes.
                int from = text.offsetByCodePoints(0, spans[i].getStart());
                int to = text.offsetByCodePoints(from, spans[i].getEnd() - spans[i].getStart());
                int startByte = utf8Length(text, 0, from);
                out.add(new Token(ids[i], text.substring(from, to), false, startByte,
                        startByte + utf8Length(text, from, to)));
            }
        }
        return out;
    }

    private static int utf8Length(String s, int from, int to) {
        int bytes = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * Turns token ids back into text.
     *
     * @param skipSpecialTokens leave out {@code [CLS]}, {@code [SEP]} and the like
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} naming the first id outside the vocabulary
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        checkIds(ids);
        return counting.decode(ids, skipSpecialTokens);
    }

    /**
     * Refuses ids that are not in the vocabulary.
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} naming the first one and its position
     */
    public void checkIds(long[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary.size()) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "token id " + ids[i] + " at position " + i
                        + " is outside this tokenizer's vocabulary of " + vocabulary.size() + " ids");
            }
        }
    }

    /** How many token ids the vocabulary has (ids are 0 to this, exclusive). */
    public long vocabularySize() {
        return vocabulary.size();
    }

    /**
     * The number of tokens {@code text} has without truncation, special tokens included.
     *
     * @throws IllegalArgumentException when the text is over the {@link #charBudget()} (counting it
     *                                  would cost what the budget exists to prevent)
     */
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        if (overBudget(text)) {
            throw new IllegalArgumentException("a text of " + text.length() + " characters is over the budget of "
                    + charBudget() + "; its tokens are not counted");
        }
        return counting.encode(text).getIds().length;
    }

    /**
     * Tokenizes texts whole, without truncation or the character budget, and splits each one longer
     * than {@link #maxLength()} into windows ({@link TextWindows}): the leading and trailing special
     * tokens of the text (as the tokenizer's special-token mask marks them) are repeated in every
     * window. A text within the limit comes out as {@link #encode} gives it.
     *
     * <p>Costs by the characters of the whole text: callers bound the texts' length first.
     *
     * @param overlap tokens shared by neighbouring windows (see {@link TextWindows#effectiveOverlap})
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when a text is null
     */
    public List<WindowedText> encodeWindows(List<String> texts, int overlap) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "text " + i + " is null");
            }
        }
        Encoding[] encodings = texts.size() == 1
                ? new Encoding[] {counting.encode(texts.get(0))}
                : counting.batchEncode(texts);
        List<WindowedText> out = new ArrayList<>(encodings.length);
        for (Encoding e : encodings) {
            EncodedText whole = toEncoded(e.getIds(), e.getTypeIds(), false);
            if (whole.length() <= maxLength) {
                out.add(WindowedText.of(whole));
                continue;
            }
            long[] special = e.getSpecialTokenMask();
            int leading = 0;
            while (leading < special.length && special[leading] != 0) {
                leading++;
            }
            int trailing = 0;
            while (trailing < special.length - leading && special[special.length - 1 - trailing] != 0) {
                trailing++;
            }
            out.add(new WindowedText(TextWindows.split(whole, leading, trailing, maxLength, overlap, vocabulary.unknownId()),
                    whole.length(), whole.unknownTokens()));
        }
        return out;
    }

    /** {@link #countTokens(String)}, with or without the special tokens the tokenizer adds. */
    public int countTokens(String text, boolean addSpecialTokens) {
        if (addSpecialTokens) {
            return countTokens(text);
        }
        Objects.requireNonNull(text, "text");
        if (overBudget(text)) {
            throw new IllegalArgumentException("a text of " + text.length() + " characters is over the budget of "
                    + charBudget() + "; its tokens are not counted");
        }
        return counting.encode(text, false, false).getIds().length;
    }

    /** The last {@link #charBudget()} characters of the text (the same instance when it fits), never splitting a pair. */
    private String tailWithinBudget(String text) {
        int budget = charBudget();
        if (text.length() <= budget) {
            return text;
        }
        int from = text.length() - budget;
        return text.substring(Character.isLowSurrogate(text.charAt(from)) ? from + 1 : from);
    }

    /** The text cut to the character budget (the same instance when it fits), never splitting a surrogate pair. */
    private String withinBudget(String text) {
        int budget = charBudget();
        if (text.length() <= budget) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(budget - 1)) ? budget - 1 : budget;
        return text.substring(0, end);
    }

    private EncodedText toEncoded(long[] ids, long[] typeIds, boolean truncated) {
        int unknown = 0;
        long unknownId = vocabulary.unknownId();
        if (unknownId >= 0) {
            for (long id : ids) {
                if (id == unknownId) {
                    unknown++;
                }
            }
        }
        return new EncodedText(ids, typeIds, truncated, unknown);
    }

    /** The unknown token's id, the vocabulary's size and the special tokens' ids, from tokenizer.json. */
    private static Vocabulary vocabulary(Path tokenizerJson) {
        try {
            return Vocabulary.read(tokenizerJson);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    tokenizerJson + " is not a valid tokenizer.json: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no detail)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public void close() {
        truncating.close();
        counting.close();
    }
}
