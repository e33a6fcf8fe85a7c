package dev.peregrine.core.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer truncating;
    private final HuggingFaceTokenizer counting;
    private final int maxLength;
    private final long unknownId;

    private TextTokenizer(HuggingFaceTokenizer truncating, HuggingFaceTokenizer counting, int maxLength,
                          long unknownId) {
        this.truncating = truncating;
        this.counting = counting;
        this.maxLength = maxLength;
        this.unknownId = unknownId;
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
        long unknownId = unknownTokenId(tokenizerJson);
        HuggingFaceTokenizer truncating = null;
        try {
            truncating = build(tokenizerJson, maxLength, true);
            HuggingFaceTokenizer counting = build(tokenizerJson, maxLength, false);
            return new TextTokenizer(truncating, counting, maxLength, unknownId);
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
        return toEncoded(truncating.encode(kept), kept != text);
    }

    /**
     * Encodes many texts at once (the native library spreads the work over its own threads).
     * Results are in input order.
     */
    public List<EncodedText> encodeAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "text " + i + " is null");
            }
        }
        List<String> kept = new ArrayList<>(texts.size());
        boolean[] cut = new boolean[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            String k = withinBudget(text);
            cut[i] = k != text;
            kept.add(k);
        }
        Encoding[] encodings = kept.size() == 1
                ? new Encoding[] {truncating.encode(kept.get(0))}
                : truncating.batchEncode(kept);
        List<EncodedText> out = new ArrayList<>(encodings.length);
        for (int i = 0; i < encodings.length; i++) {
            out.add(toEncoded(encodings[i], cut[i]));
        }
        return out;
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
            EncodedText whole = toEncoded(e, false);
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
            out.add(new WindowedText(TextWindows.split(whole, leading, trailing, maxLength, overlap, unknownId),
                    whole.length(), whole.unknownTokens()));
        }
        return out;
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

    private EncodedText toEncoded(Encoding e, boolean cut) {
        long[] ids = e.getIds();
        int unknown = 0;
        if (unknownId >= 0) {
            for (long id : ids) {
                if (id == unknownId) {
                    unknown++;
                }
            }
        }
        return new EncodedText(ids, e.getTypeIds(), cut || e.exceedMaxLength(), unknown);
    }

    /** The id of the unknown token, or -1 when the tokenizer has none (byte-level BPE). */
    private static long unknownTokenId(Path tokenizerJson) {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    tokenizerJson + " is not a valid tokenizer.json: " + firstLine(e.getMessage()), e);
        }
        JsonNode model = root.path("model");
        if (model.has("unk_id") && model.get("unk_id").isIntegralNumber()) {
            return model.get("unk_id").asLong();
        }
        String unk = model.path("unk_token").asText(null);
        JsonNode vocab = model.path("vocab");
        if (unk != null && vocab.isObject() && vocab.has(unk)) {
            return vocab.get(unk).asLong();
        }
        return -1;
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
