package dev.peregrine.core;

/** What a model computes, detected from its graph outputs and config. */
public enum Task {
    /** A {@code logits} output: one probability per label. */
    CLASSIFICATION,
    /** Token embeddings (pooled by Peregrine) or a sentence embedding: one vector per text. */
    EMBEDDING;

    /** Parses {@code embed}/{@code embedding}/{@code embeddings} or {@code classify}/{@code classification}. */
    public static Task parse(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "embed", "embedding", "embeddings" -> EMBEDDING;
            case "classify", "classification", "classifier" -> CLASSIFICATION;
            default -> throw new IllegalArgumentException(
                    "unknown task '" + name + "': expected embedding or classification");
        };
    }

    /** Lower-case name as used on the command line and in JSON. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
