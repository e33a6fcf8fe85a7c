package dev.peregrine.train;

import java.util.Locale;

/** The classification heads Peregrine trains on top of an encoder. */
public enum HeadKind {
    /** Multinomial logistic regression: one linear layer, softmax. */
    LOGISTIC,
    /** One hidden layer with ReLU, then a linear layer. */
    MLP;

    public static HeadKind parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown head '" + name + "': expected logistic or mlp");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
