package dev.peregrine.core.model;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what a user types after {@code --model} into a {@link ModelFolder}. A reference is, in this
 * order: a folder path; a path to an {@code .onnx} file (its folder, with that file as variant); a
 * name a {@link NamedModelProvider} knows (the embedded models); or a hub id {@code ORG/NAME[@REV]}
 * already pulled into {@link PeregrineHome}.
 *
 * <p>Thread-safe; providers are discovered once, at construction.
 */
public final class ModelResolver {

    private static final Pattern HUB_ID = Pattern.compile("([A-Za-z0-9][\\w.-]*)/([\\w.-]+)(?:@([\\w./-]+))?");

    private final PeregrineHome home;
    private final List<NamedModelProvider> providers;

    public ModelResolver(PeregrineHome home) {
        this(home, discoverProviders());
    }

    public ModelResolver(PeregrineHome home, List<NamedModelProvider> providers) {
        this.home = Objects.requireNonNull(home, "home");
        this.providers = List.copyOf(providers);
    }

    /** A resolver over the environment's home and every provider on the class path. */
    public static ModelResolver standard() {
        return new ModelResolver(PeregrineHome.fromEnvironment());
    }

    public PeregrineHome home() {
        return home;
    }

    /** Every named model the providers offer, with its description, in provider order. */
    public Map<String, String> namedModels() {
        Map<String, String> all = new LinkedHashMap<>();
        for (NamedModelProvider p : providers) {
            p.models().forEach(all::putIfAbsent);
        }
        return all;
    }

    /** Resolves {@code reference} with the default variant. */
    public ModelFolder resolve(String reference) {
        return resolve(reference, null);
    }

    /**
     * Resolves a model reference.
     *
     * @param reference a folder, an .onnx file, a named model or a pulled hub id; null or blank means
     *                  {@link EmbeddedModels#DEFAULT_MODEL}
     * @param variant   the ONNX variant inside the folder, or null for the default
     * @throws PeregrineException {@link ErrorKind#MODEL_NOT_FOUND} when nothing matches, with the
     *                            known names in the message
     */
    public ModelFolder resolve(String reference, String variant) {
        String ref = reference == null || reference.isBlank() ? EmbeddedModels.DEFAULT_MODEL : reference.trim();

        Optional<Path> asPath = existingPath(ref);
        if (asPath.isPresent()) {
            Path path = asPath.get();
            if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx")) {
                if (variant != null) {
                    throw new PeregrineException(ErrorKind.INVALID_INPUT,
                            "--variant cannot be combined with a path to an .onnx file (" + ref + ")");
                }
                return openOnnxFile(path);
            }
            return ModelFolder.open(path, variant, null);
        }

        for (NamedModelProvider provider : providers) {
            Optional<Path> folder = provider.folder(ref, home);
            if (folder.isPresent()) {
                return ModelFolder.open(folder.get(), variant, ref);
            }
        }

        if (ref.startsWith("/") || ref.startsWith(".") || ref.startsWith("~") || ref.endsWith(".onnx")) {
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no such model folder or file: " + ref);
        }
        Matcher hub = HUB_ID.matcher(ref);
        if (hub.matches()) {
            Path pulled = home.hubModel(hub.group(1) + "/" + hub.group(2), hub.group(3));
            if (Files.isDirectory(pulled)) {
                try {
                    return ModelFolder.open(pulled, variant, ref);
                } catch (PeregrineException e) {
                    String pull = "peregrine pull " + hub.group(1) + "/" + hub.group(2)
                            + (hub.group(3) == null ? "" : "@" + hub.group(3));
                    throw new PeregrineException(e.kind(), e.getMessage() + "; if a pull of " + ref
                            + " was interrupted, '" + pull + "' finishes it", e);
                }
            }
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model folder '" + ref
                    + "', and no hub model of that id has been pulled (peregrine pull " + ref + " fetches it)");
        }
        throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model folder or known model named '" + ref
                + "' (known: " + String.join(", ", namedModels().keySet()) + ")");
    }

    /**
     * Whether resolving {@code reference} would first build the model (a named model not yet
     * materialized, see {@link NamedModelProvider#materialized}); false for paths, pulled models and
     * anything unknown (resolving those fails or returns at once).
     */
    public boolean needsBuilding(String reference) {
        if (reference == null || reference.isBlank() || existingPath(reference.trim()).isPresent()) {
            return false;
        }
        String ref = reference.trim();
        for (NamedModelProvider p : providers) {
            if (p.models().containsKey(ref)) {
                return !p.materialized(ref, home);
            }
        }
        return false;
    }

    /** A path to an ONNX file: its folder is the model folder (the parent of {@code onnx/} if nested). */
    private static ModelFolder openOnnxFile(Path onnxFile) {
        Path dir = onnxFile.toAbsolutePath().getParent();
        Path root = dir;
        if (dir.getFileName() != null && dir.getFileName().toString().equals("onnx")
                && !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            root = dir.getParent();
        }
        String relative = root.relativize(onnxFile.toAbsolutePath()).toString();
        return ModelFolder.open(root, relative, null);
    }

    private static Optional<Path> existingPath(String ref) {
        try {
            Path p = Path.of(ref);
            return Files.exists(p) ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static List<NamedModelProvider> discoverProviders() {
        List<NamedModelProvider> found = new ArrayList<>();
        ServiceLoader.load(NamedModelProvider.class, ModelResolver.class.getClassLoader()).forEach(found::add);
        return found;
    }
}
