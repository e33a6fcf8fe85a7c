package dev.peregrine.server.inference;

import dev.peregrine.core.engine.ModelInfo;
import java.util.Objects;

/**
 * A model the server answers for.
 *
 * @param name     the name clients use
 * @param info     what the model is
 * @param settings how it is served
 */
public record ServedModel(String name, ModelInfo info, ModelSettings settings) {

    public ServedModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(settings, "settings");
    }
}
