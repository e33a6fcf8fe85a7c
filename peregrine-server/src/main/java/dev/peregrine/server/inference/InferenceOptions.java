package dev.peregrine.server.inference;

/**
 * How one request's texts are handled, every default already decided (by {@link RequestResolver}).
 *
 * @param truncate  cut texts longer than the model's limit (else such a text is refused)
 * @param normalize scale embeddings to unit length; always false for a classifier
 * @param cache     may answers come from, and go into, the prediction cache (false for
 *                  {@code Cache-Control: no-cache} or {@code no-store})
 */
public record InferenceOptions(boolean truncate, boolean normalize, boolean cache) {

    /** The part of the options that changes a model's answer (the cache keys on it). */
    String answerKey(boolean embedding) {
        return embedding ? "normalize=" + normalize + ";truncate=" + truncate : "truncate=" + truncate;
    }
}
