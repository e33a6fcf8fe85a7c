package dev.peregrine.core.tokenize;

import java.util.Locale;

/**
 * Which end of a text too long for the model is cut: {@link #RIGHT} keeps its beginning (the
 * default everywhere), {@link #LEFT} keeps its end (text-embeddings-inference's
 * {@code truncation_direction: "left"}, for texts whose last part matters, such as a conversation).
 * Special tokens ({@code [CLS]}, {@code [SEP]}) are kept either way.
 */
public enum TruncationDirection {
    RIGHT, LEFT;

    /** The lower-case name used on the wire and in cache keys. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code left} or {@code right} in any case.
     *
     * @throws IllegalArgumentException naming the two values
     */
    public static TruncationDirection parse(String value) {
        for (TruncationDirection d : values()) {
            if (d.name().equalsIgnoreCase(value)) {
                return d;
            }
        }
        throw new IllegalArgumentException("truncation direction must be left or right, not '" + value + "'");
    }
}
