package dev.peregrine.optimize;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ServingHints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Writing a converted model as a complete model folder: the tokenizer, config and
 * sentence-transformers files of the source are copied beside the new graph, so the output loads
 * like the input did.
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * Copies every file of {@code source} except ONNX graphs, their external data and
     * {@code peregrine.json} into {@code target} (created if needed).
     *
     * @return the relative paths copied
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when target is the source or inside
     *                            it; {@link ErrorKind#IO} when copying fails
     */
    public static List<Path> copySupportFiles(Path source, Path target) {
        ModelFolder.requireOutputElsewhere(source, target);
        Path src = source.toAbsolutePath().normalize();
        Path dst = target.toAbsolutePath().normalize();
        List<Path> copied = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isRegularFile(p) || p.startsWith(dst)) {
                    continue;
                }
                Path rel = src.relativize(p);
                if (isGraphFile(rel)) {
                    continue;
                }
                Path to = dst.resolve(rel);
                Files.createDirectories(to.getParent());
                Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                copied.add(rel);
            }
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot copy the model files of " + source + " to " + target
                    + ": " + e.getMessage(), e);
        }
        return copied;
    }

    private static boolean isGraphFile(Path rel) {
        String name = rel.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".onnx") || name.endsWith(".onnx_data") || name.endsWith(".onnx.data")
                || name.endsWith("_data") || name.endsWith(".ort") || name.equals(ServingHints.FILE_NAME)
                || (rel.getNameCount() > 1 && rel.getName(0).toString().equals("onnx"));
    }

    /** Peregrine's version as the jar names it, or "dev" when run from classes. */
    public static String peregrineVersion() {
        String v = ModelFiles.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
