package dev.peregrine.server.inference;

import dev.peregrine.core.engine.TextResult;
import java.util.List;
import java.util.Objects;

/**
 * The answer to one {@link ResolvedRequest}, filled by every layer the same way whether its texts
 * were computed or came from the cache.
 *
 * @param model   the model that answered
 * @param texts   one result per text, in request order (embeddings normalized as asked; a classifier's
 *                class probabilities)
 * @param timings where the time went ({@link Timings#NONE} when every text came from the cache)
 */
public record InferenceResult(ServedModel model, List<TextResult> texts, Timings timings) {

    public InferenceResult {
        Objects.requireNonNull(model, "model");
        texts = List.copyOf(texts);
        Objects.requireNonNull(timings, "timings");
    }

    /** Tokens of all texts, special tokens included (OpenAI's {@code prompt_tokens}). */
    public int promptTokens() {
        return TextResult.totalTokens(texts);
    }
}
