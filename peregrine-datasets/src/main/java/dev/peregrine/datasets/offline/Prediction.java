package dev.peregrine.datasets.offline;

import java.util.Objects;

/**
 * The engine's answer for one text, as offline prediction writes it.
 *
 * @param values    the embedding (normalized if asked) or the class probabilities
 * @param tokens    tokens the text was encoded to (after truncation)
 * @param truncated whether the text was cut to the model's limit
 */
public record Prediction(float[] values, int tokens, boolean truncated) {
    public Prediction {
        Objects.requireNonNull(values, "values");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, got " + tokens);
        }
    }
}
