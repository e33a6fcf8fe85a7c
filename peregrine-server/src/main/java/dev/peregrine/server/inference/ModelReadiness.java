package dev.peregrine.server.inference;

import java.util.List;
import java.util.Objects;

/**
 * Which configured models answer yet: what {@code /readyz?model=NAME} and {@code /info} report. A
 * model whose folder must first be built (the ticket classifier on a fresh machine) loads in the
 * background while the others already serve. Thread-safe.
 */
public interface ModelReadiness {

    /** A configured model's state. */
    enum State { READY, LOADING, FAILED }

    /**
     * @param name    the served name
     * @param aliases the other names it answers to
     * @param state   where it is
     * @param detail  why it failed (FAILED), otherwise empty
     */
    record ModelState(String name, List<String> aliases, State state, String detail) {
        public ModelState {
            Objects.requireNonNull(name, "name");
            aliases = List.copyOf(aliases);
            Objects.requireNonNull(state, "state");
            detail = detail == null ? "" : detail;
        }

        public boolean answersTo(String requested) {
            return name.equals(requested) || aliases.contains(requested);
        }
    }

    /** Every configured model, in configuration order. */
    List<ModelState> states();

    /** The state of the model named or aliased {@code name}, or null when no such model is configured. */
    default ModelState state(String name) {
        return states().stream().filter(s -> s.answersTo(name)).findFirst().orElse(null);
    }
}
