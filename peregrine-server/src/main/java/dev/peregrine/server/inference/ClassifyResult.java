package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Classification;
import java.util.List;
import java.util.Objects;

/**
 * Classifications of one request.
 *
 * @param model       the model that computed them
 * @param predictions one per text, in request order
 * @param texts       what tokenization found in each text, in request order
 * @param timings     where the time went ({@link Timings#NONE} when every text came from the cache)
 */
public record ClassifyResult(String model, List<Classification> predictions, List<TextStats> texts, Timings timings) {

    public ClassifyResult {
        Objects.requireNonNull(model, "model");
        predictions = List.copyOf(predictions);
        texts = List.copyOf(texts);
        Objects.requireNonNull(timings, "timings");
        if (predictions.size() != texts.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + texts.size() + " texts");
        }
    }

    /** Tokens of all texts, special tokens included. */
    public int promptTokens() {
        return TextStats.totalTokens(texts);
    }
}
