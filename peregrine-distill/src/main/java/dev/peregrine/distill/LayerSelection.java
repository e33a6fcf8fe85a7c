package dev.peregrine.distill;

import java.util.Locale;

/** Which of the teacher's layers a student keeps. */
public enum LayerSelection {
    /** Evenly spaced, always including the last layer (6 -> 3 keeps 2, 4, 6): "every other". */
    UNIFORM("uniform"),
    /** The layers whose removal changes the teacher's output most, measured on a sample of texts. */
    IMPORTANCE("importance");

    private final String id;

    LayerSelection(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static LayerSelection parse(String value) {
        for (LayerSelection s : values()) {
            if (s.id.equals(value.trim().toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a layer selection; use uniform or importance");
    }
}
