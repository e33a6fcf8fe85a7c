package dev.peregrine.server.inference;

import java.util.List;
import java.util.Objects;

/**
 * Embeddings of one request.
 *
 * @param model        the model that computed them
 * @param vectors      one vector per text, in request order
 * @param promptTokens tokens of all texts, special tokens included
 * @param timings      where the time went
 */
public record EmbedResult(String model, List<float[]> vectors, int promptTokens, Timings timings) {

    public EmbedResult {
        Objects.requireNonNull(model, "model");
        vectors = List.copyOf(vectors);
        Objects.requireNonNull(timings, "timings");
    }
}
