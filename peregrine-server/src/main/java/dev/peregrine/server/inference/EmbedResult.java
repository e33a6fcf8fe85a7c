package dev.peregrine.server.inference;

import java.util.List;
import java.util.Objects;

/**
 * Embeddings of one request.
 *
 * @param model   the model that computed them
 * @param vectors one vector per text, in request order
 * @param texts   what tokenization found in each text, in request order
 * @param timings where the time went ({@link Timings#NONE} when every text came from the cache)
 */
public record EmbedResult(String model, List<float[]> vectors, List<TextStats> texts, Timings timings) {

    public EmbedResult {
        Objects.requireNonNull(model, "model");
        vectors = List.copyOf(vectors);
        texts = List.copyOf(texts);
        Objects.requireNonNull(timings, "timings");
        if (vectors.size() != texts.size()) {
            throw new IllegalArgumentException(vectors.size() + " vectors for " + texts.size() + " texts");
        }
    }

    /** Tokens of all texts, special tokens included (OpenAI's {@code prompt_tokens}). */
    public int promptTokens() {
        return TextStats.totalTokens(texts);
    }
}
