package dev.peregrine.server;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One {@code --model} value: a model reference (folder, .onnx file, embedded name or pulled hub id)
 * and, optionally, the name to serve it under ({@code name=REFERENCE}).
 *
 * @param name      the name clients use, or null for the model's own name
 * @param reference what {@link dev.peregrine.core.model.ModelResolver} resolves
 */
public record ModelSpec(String name, String reference) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public ModelSpec {
        Objects.requireNonNull(reference, "reference");
        if (reference.isBlank()) {
            throw new IllegalArgumentException("a model reference must not be blank");
        }
        if (name != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model name '" + name
                    + "' must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /** Parses {@code REFERENCE} or {@code NAME=REFERENCE}. */
    public static ModelSpec parse(String value) {
        Objects.requireNonNull(value, "value");
        int eq = value.indexOf('=');
        if (eq > 0 && NAME.matcher(value.substring(0, eq)).matches()) {
            return new ModelSpec(value.substring(0, eq), value.substring(eq + 1).trim());
        }
        return new ModelSpec(null, value.trim());
    }

    @Override
    public String toString() {
        return name == null ? reference : name + "=" + reference;
    }
}
