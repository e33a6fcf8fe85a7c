package dev.peregrine.core.model;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where Peregrine keeps files between runs: extracted embedded models, models pulled from a hub,
 * built models. The system property {@code peregrine.home} wins (for JVMs that embed Peregrine, and
 * for tests, which must not write to the user's cache); then the environment variable
 * {@code PEREGRINE_HOME}; otherwise {@code $XDG_CACHE_HOME/peregrine}; otherwise
 * {@code ~/.cache/peregrine}.
 */
public final class PeregrineHome {

    public static final String ENV = "PEREGRINE_HOME";
    /** The system property that names the home; it takes precedence over {@link #ENV}. */
    public static final String PROPERTY = "peregrine.home";

    private final Path root;

    private PeregrineHome(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The home the current environment names. */
    public static PeregrineHome fromEnvironment() {
        return fromEnvironment(System.getProperty(PROPERTY), System.getenv(), System.getProperty("user.home"));
    }

    static PeregrineHome fromEnvironment(String property, Map<String, String> env, String userHome) {
        if (property != null && !property.isBlank()) {
            return new PeregrineHome(Path.of(property));
        }
        String explicit = env.get(ENV);
        if (explicit != null && !explicit.isBlank()) {
            return new PeregrineHome(Path.of(explicit));
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return new PeregrineHome(Path.of(xdg, "peregrine"));
        }
        return new PeregrineHome(Path.of(userHome, ".cache", "peregrine"));
    }

    /** A home at an explicit folder (tests, embedding applications). */
    public static PeregrineHome at(Path root) {
        return new PeregrineHome(root);
    }

    public Path root() {
        return root;
    }

    /** Folder of the models built into the jar once extracted. */
    public Path embedded() {
        return root.resolve("embedded");
    }

    /** Remembered content hashes of model files ({@link FileHashes}). */
    public Path fingerprints() {
        return root.resolve("fingerprints");
    }

    /** Folder of models built on first use (trained heads and the like). */
    public Path built() {
        return root.resolve("built");
    }

    /**
     * The folder a hub model is pulled into: {@code hub/ORG/NAME} for the main revision,
     * {@code hub/ORG/NAME@REVISION} otherwise.
     */
    public Path hubModel(String repoId, String revision) {
        String[] parts = repoId.split("/", 2);
        Path base = root.resolve("hub");
        Path folder = parts.length == 2 ? base.resolve(parts[0]) : base;
        String leaf = parts.length == 2 ? parts[1] : parts[0];
        if (revision != null && !revision.isBlank() && !revision.toLowerCase(Locale.ROOT).equals("main")) {
            leaf = leaf + "@" + revision.replace('/', '_');
        }
        return folder.resolve(leaf);
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
