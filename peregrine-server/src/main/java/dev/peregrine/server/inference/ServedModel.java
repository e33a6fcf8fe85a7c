package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.ModelInfo;
import java.util.List;
import java.util.Objects;

/**
 * A model the server answers for.
 *
 * @param name     the name clients use, and the one every response, metric and log reports
 * @param aliases  other names that mean this model wherever a model name is accepted (its own folder
 *                 name when it is served under another, unless another model claims that name)
 * @param info     what the model is
 * @param settings how it is served
 * @param engine   its first engine, for what runs outside the batcher: showing tokens, decoding ids,
 *                 per-token vectors ({@code /tokenize}, {@code /decode}, {@code /embed_all}); null when the
 *                 model is described without one (tests of request resolution)
 */
public record ServedModel(String name, List<String> aliases, ModelInfo info, ModelSettings settings, Engine engine) {

    /** A model described without an engine. */
    public ServedModel(String name, List<String> aliases, ModelInfo info, ModelSettings settings) {
        this(name, aliases, info, settings, null);
    }

    public ServedModel {
        Objects.requireNonNull(name, "name");
        aliases = List.copyOf(aliases);
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(settings, "settings");
        if (aliases.contains(name)) {
            throw new IllegalArgumentException("model '" + name + "' lists its own name as an alias");
        }
    }

    /** @throws IllegalStateException when the model was described without an engine */
    @Override
    public Engine engine() {
        if (engine == null) {
            throw new IllegalStateException("model '" + name + "' has no engine here");
        }
        return engine;
    }

    /** Whether {@code requested} is this model's name or one of its aliases. */
    public boolean answersTo(String requested) {
        return name.equals(requested) || aliases.contains(requested);
    }
}
