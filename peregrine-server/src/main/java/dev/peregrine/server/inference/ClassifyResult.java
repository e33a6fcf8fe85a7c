package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Classification;
import java.util.List;
import java.util.Objects;

/**
 * Classifications of one request.
 *
 * @param model        the model that computed them
 * @param predictions  one per text, in request order
 * @param promptTokens tokens of all texts, special tokens included
 * @param timings      where the time went
 */
public record ClassifyResult(String model, List<Classification> predictions, int promptTokens, Timings timings) {

    public ClassifyResult {
        Objects.requireNonNull(model, "model");
        predictions = List.copyOf(predictions);
        Objects.requireNonNull(timings, "timings");
    }
}
