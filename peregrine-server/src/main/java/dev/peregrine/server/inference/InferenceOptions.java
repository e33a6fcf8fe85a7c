package dev.peregrine.server.inference;

import dev.peregrine.core.tokenize.TruncationDirection;
import java.util.Objects;

/**
 * How one request's texts are handled, every default already decided (by {@link RequestResolver}).
 *
 * @param truncate         cut texts longer than the model's limit (else such a text is refused)
 * @param normalize        scale embeddings to unit length; always false for a classifier
 * @param cache            may answers come from, and go into, the prediction cache (false for
 *                         {@code Cache-Control: no-cache} or {@code no-store})
 * @param direction        which end of a too-long text is cut (text-embeddings-inference's
 *                         {@code truncation_direction})
 * @param addSpecialTokens whether the tokenizer adds the model's special tokens; false when the texts spell
 *                         them (token ids sent by the client, decoded to the text that tokenizes to them)
 * @param rawScores        a classifier's raw logits rather than probabilities (text-embeddings-inference's
 *                         {@code raw_scores}); always false for an embedder
 */
public record InferenceOptions(boolean truncate, boolean normalize, boolean cache, TruncationDirection direction,
                               boolean addSpecialTokens, boolean rawScores) {

    public InferenceOptions {
        Objects.requireNonNull(direction, "direction");
        if (rawScores && normalize) {
            throw new IllegalArgumentException("raw scores are a classifier's, normalization an embedder's");
        }
    }

    /** Texts cut at their end, special tokens added, probabilities for a classifier. */
    public InferenceOptions(boolean truncate, boolean normalize, boolean cache) {
        this(truncate, normalize, cache, TruncationDirection.RIGHT, true, false);
    }

    /** The same options with this tokenization. */
    public InferenceOptions withTokenization(TruncationDirection newDirection, boolean newAddSpecialTokens) {
        return new InferenceOptions(truncate, normalize, cache, newDirection, newAddSpecialTokens, rawScores);
    }

    /** The same options asking for raw scores (or not). */
    public InferenceOptions withRawScores(boolean raw) {
        return new InferenceOptions(truncate, normalize, cache, direction, addSpecialTokens, raw);
    }

    /**
     * The part of the options that changes a model's answer (the cache keys on it). The defaults of the
     * later options add nothing, so the keys of ordinary requests stay what they were.
     */
    String answerKey(boolean embedding) {
        StringBuilder key = new StringBuilder(embedding ? "normalize=" + normalize + ";truncate=" + truncate
                : "truncate=" + truncate);
        if (direction != TruncationDirection.RIGHT) {
            key.append(";direction=").append(direction.id());
        }
        if (!addSpecialTokens) {
            key.append(";special_tokens=false");
        }
        if (rawScores) {
            key.append(";scores=raw");
        }
        return key.toString();
    }
}
