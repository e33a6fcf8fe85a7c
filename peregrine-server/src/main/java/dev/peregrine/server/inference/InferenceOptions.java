package dev.peregrine.server.inference;

import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.tokenize.TruncationDirection;
import java.util.Objects;

/**
 * How one request's texts are handled, every default already decided (by {@link RequestResolver}).
 *
 * @param longText         what happens to a text longer than the model's limit: cut, split into
 *                         windows and pooled, or refused
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
public record InferenceOptions(LongTextMode longText, boolean normalize, boolean cache, TruncationDirection direction,
                               boolean addSpecialTokens, boolean rawScores) {

    public InferenceOptions {
        Objects.requireNonNull(longText, "longText");
        Objects.requireNonNull(direction, "direction");
        if (rawScores && normalize) {
            throw new IllegalArgumentException("raw scores are a classifier's, normalization an embedder's");
        }
    }

    /** Texts cut at their end, special tokens added, probabilities for a classifier. */
    public InferenceOptions(LongTextMode longText, boolean normalize, boolean cache) {
        this(longText, normalize, cache, TruncationDirection.RIGHT, true, false);
    }

    /** Whether a text over the limit is cut ({@link LongTextMode#TRUNCATE}). */
    public boolean truncate() {
        return longText == LongTextMode.TRUNCATE;
    }

    /** The same options with this tokenization. */
    public InferenceOptions withTokenization(TruncationDirection newDirection, boolean newAddSpecialTokens) {
        return new InferenceOptions(longText, normalize, cache, newDirection, newAddSpecialTokens, rawScores);
    }

    /** The same options asking for raw scores (or not). */
    public InferenceOptions withRawScores(boolean raw) {
        return new InferenceOptions(longText, normalize, cache, direction, addSpecialTokens, raw);
    }

    /**
     * The part of the options that changes a model's answer (the cache keys on it). The defaults of the
     * later options add nothing, so the keys of ordinary requests stay what they were; truncating and
     * refusing keep theirs as {@code truncate=true|false}, splitting has {@code long_text=chunk}.
     */
    String answerKey(boolean embedding) {
        String length = longText == LongTextMode.CHUNK ? "long_text=chunk" : "truncate=" + truncate();
        StringBuilder key = new StringBuilder(embedding ? "normalize=" + normalize + ";" + length : length);
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
