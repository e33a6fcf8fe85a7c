package dev.peregrine.core.model;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A source of models known by a short name (for example {@code all-minilm-l6-v2}) rather than a
 * path. Implementations are found with {@link java.util.ServiceLoader}, so a module that builds
 * models (such as a trained classifier) can add names without the core knowing it.
 *
 * <p>Implementations must be thread-safe and must make concurrent first uses safe (two processes
 * may materialize the same model at once).
 */
public interface NamedModelProvider {

    /** The names this provider serves, each with a one-line description, in display order. */
    Map<String, String> models();

    /**
     * The folder of the named model, materializing it (extracting, building) on first use.
     *
     * @return empty when this provider does not know the name
     * @throws dev.peregrine.core.PeregrineException when the name is known but cannot be made
     *         available (for example its artifact is not on the class path)
     */
    Optional<Path> folder(String name, PeregrineHome home);

    /**
     * Whether {@link #folder} would return the named model at once, without building it (training a
     * head takes a minute; extracting an embedded model counts as at once). A server loads a model
     * that is not yet materialized in the background, serving the others meanwhile.
     */
    default boolean materialized(String name, PeregrineHome home) {
        return true;
    }
}
