package dev.peregrine.server;

import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.LongTextOptions;
import java.util.Objects;

/**
 * What the server does with a text longer than its model's maximum length when the request does
 * not say ({@code long_text}, or the older {@code truncate}), and how it splits one.
 *
 * @param mode     truncate, chunk or reject (the default: a 422 naming the limit)
 * @param overlap  tokens neighbouring windows share when a text is split
 * @param maxChars the most characters of a text that is split (longer ones are refused before
 *                 they are tokenized); requests choosing {@code chunk} are held to it too
 */
public record LongTextConfig(LongTextMode mode, int overlap, int maxChars) {

    public static final String DEFAULT_MODE = "reject";
    public static final String DEFAULT_OVERLAP = "32";
    public static final String DEFAULT_MAX_CHARS = "100000";

    public LongTextConfig {
        Objects.requireNonNull(mode, "mode");
        if (overlap < 0) {
            throw new IllegalArgumentException("long-text overlap must be >= 0 tokens, was " + overlap);
        }
        if (maxChars < 1) {
            throw new IllegalArgumentException("long-text max chars must be >= 1, was " + maxChars);
        }
    }

    public static LongTextConfig defaults() {
        return new LongTextConfig(LongTextMode.parse(DEFAULT_MODE), Integer.parseInt(DEFAULT_OVERLAP),
                Integer.parseInt(DEFAULT_MAX_CHARS));
    }

    /** The same, with another mode. */
    public LongTextConfig withMode(LongTextMode other) {
        return new LongTextConfig(other, overlap, maxChars);
    }

    /** How texts are split. */
    public LongTextOptions options() {
        return new LongTextOptions(overlap, maxChars);
    }

    String describe() {
        return mode.id() + " (split: " + overlap + " tokens overlap, at most " + maxChars + " characters)";
    }
}
