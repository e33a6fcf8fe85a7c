package dev.peregrine.core.engine;

import java.util.Objects;

/** One class and its probability. */
public record LabelScore(String label, float score) {
    public LabelScore {
        Objects.requireNonNull(label, "label");
    }
}
