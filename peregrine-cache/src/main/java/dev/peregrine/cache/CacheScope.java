package dev.peregrine.cache;

import java.util.Objects;

/**
 * Everything besides the text that decides a model's answer, and so goes into every cache key.
 *
 * <p>Two requests may share a cached answer only when all three fields are equal. {@code parameters}
 * must name every option that changes the output for the same text and model files, written the
 * same way on every replica, for example {@code "task=embedding;normalize=true;truncate=true"}; a
 * pooling override or a maximum length set at load time belongs here too. Immutable and thread-safe.
 *
 * @param model            the served model's name
 * @param modelFingerprint a hash of the model's files, such as {@link ModelFingerprint#of}; a new
 *                         export under the same name then never answers from the old one's entries
 * @param parameters       the task options, in a canonical form; empty when there are none
 */
public record CacheScope(String model, String modelFingerprint, String parameters) {

    /**
     * @throws NullPointerException     when a field is null
     * @throws IllegalArgumentException when {@code model} or {@code modelFingerprint} is blank
     */
    public CacheScope {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        Objects.requireNonNull(parameters, "parameters");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (modelFingerprint.isBlank()) {
            throw new IllegalArgumentException("modelFingerprint must not be blank");
        }
    }
}
