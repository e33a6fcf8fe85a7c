package dev.peregrine.core;

/** What a model computes, detected from its graph outputs and config. */
public enum Task {
    /** A {@code logits} output: one probability per label. */
    CLASSIFICATION,
    /** Token embeddings (pooled by Peregrine) or a sentence embedding: one vector per text. */
    EMBEDDING;

    /** Lower-case name as used on the command line and in JSON. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
