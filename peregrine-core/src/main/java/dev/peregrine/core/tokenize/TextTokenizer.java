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
 * <p>Thread-safe: the native tokenizer is immutable once built. Close it to free native memory.
 */
public final class TextTokenizer implements AutoCloseable {

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

    /** Encodes one text, truncated to {@link #maxLength()}. */
    public EncodedText encode(String text) {
        Objects.requireNonNull(text, "text");
        return toEncoded(truncating.encode(text));
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
        Encoding[] encodings = texts.size() == 1
                ? new Encoding[] {truncating.encode(texts.get(0))}
                : truncating.batchEncode(texts);
        List<EncodedText> out = new ArrayList<>(encodings.length);
        for (Encoding e : encodings) {
            out.add(toEncoded(e));
        }
        return out;
    }

    /** The number of tokens {@code text} has without truncation, special tokens included. */
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        return counting.encode(text).getIds().length;
    }

    private EncodedText toEncoded(Encoding e) {
        long[] ids = e.getIds();
        int unknown = 0;
        if (unknownId >= 0) {
            for (long id : ids) {
                if (id == unknownId) {
                    unknown++;
                }
            }
        }
        return new EncodedText(ids, e.getTypeIds(), e.exceedMaxLength(), unknown);
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
