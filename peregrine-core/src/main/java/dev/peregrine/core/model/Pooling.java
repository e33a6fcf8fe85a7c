package dev.peregrine.core.model;

import java.util.Locale;

/**
 * How token embeddings become one vector per text, as the sentence-transformers
 * {@code 1_Pooling/config.json} names it.
 */
public enum Pooling {
    /** Average of the token vectors under the attention mask (the sentence-transformers default). */
    MEAN,
    /** The first token's vector ([CLS]). */
    CLS,
    /** Element-wise maximum over the tokens under the mask. */
    MAX,
    /** Sum under the mask divided by the square root of the token count. */
    MEAN_SQRT_LEN,
    /** The last token under the mask (decoder-style embedders). */
    LAST_TOKEN;

    /** Parses a name such as {@code mean}, {@code cls} or {@code last-token}. */
    public static Pooling parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Pooling p : values()) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        if (n.equals("LASTTOKEN")) {
            return LAST_TOKEN;
        }
        throw new IllegalArgumentException(
                "unknown pooling '" + name + "': expected mean, cls, max, mean-sqrt-len or last-token");
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
