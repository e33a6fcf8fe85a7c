package dev.peregrine.core.engine;

import dev.peregrine.core.model.FileHashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Graphs that ONNX Runtime has already optimized, kept between runs, so that a later load reads the
 * optimized graph with optimizations off instead of optimizing again (and skips the scan
 * {@link OrtWorkarounds} makes of the source graph).
 *
 * <h2>Key</h2>
 * An entry is valid only for the graph it came from and for everything that decides what the
 * optimizer writes, so its key is a SHA-256 over: this class's format version, the content of the
 * ONNX file and of any external-data files beside it, the optimization level, the ONNX Runtime
 * version and the CPU's instruction sets (at level {@code all} ONNX Runtime writes
 * hardware-specific layouts). File hashes are remembered between runs ({@link FileHashes}).
 *
 * <h2>Layout and concurrency</h2>
 * {@code DIR/KEY/model.onnx} (and {@code model.onnx.data} when the source had external data). An
 * entry is written into a hidden staging folder and renamed into place, so readers never see half a
 * graph and two processes writing the same entry at once both end with a whole one. Deleting the
 * folder at any time is safe: the next load optimizes and writes again. Nothing is evicted; each
 * model version and optimization level adds one optimized copy of the graph.
 *
 * <p>Thread-safe; methods do file I/O and never throw for a cache that cannot be read or written
 * (the caller then loads as if there were no cache).
 */
public final class OptimizedModelCache {

    /** Bumped whenever what goes into an entry or its key changes. */
    static final String FORMAT = "peregrine-optimized-graph-1";
    static final String MODEL_FILE = "model.onnx";
    static final String DATA_FILE = "model.onnx.data";

    private final Path dir;

    /** A cache in {@code dir} (created on first write). */
    public OptimizedModelCache(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    /**
     * The key of {@code onnxFile} optimized at {@code level} by ONNX Runtime {@code ortVersion} for a
     * CPU with {@code cpuSets}.
     *
     * @return empty when the model's files cannot be read (the caller loads without the cache)
     */
    Optional<String> key(Path onnxFile, GraphOptimization level, String ortVersion, String cpuSets) {
        try {
            MessageDigest d = sha256();
            update(d, FORMAT);
            for (Path file : modelFiles(onnxFile)) {
                update(d, file.getFileName().toString());
                d.update(FileHashes.sha256(file));
                d.update((byte) 0);
            }
            update(d, level.id());
            update(d, ortVersion);
            update(d, cpuSets);
            return Optional.of(HexFormat.of().formatHex(d.digest()).substring(0, 32));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The optimized graph stored under {@code key}, if there is one. */
    Optional<Path> lookup(String key) {
        Path model = dir.resolve(key).resolve(MODEL_FILE);
        return Files.isRegularFile(model) ? Optional.of(model) : Optional.empty();
    }

    /** A fresh staging folder for ONNX Runtime to write an optimized graph into ({@link #MODEL_FILE}). */
    Path stage() throws IOException {
        Files.createDirectories(dir);
        return Files.createTempDirectory(dir, ".staging-");
    }

    /**
     * Moves a staging folder into place under {@code key}; when another process got there first, its
     * entry stays and this one is dropped.
     */
    void commit(Path staging, String key) throws IOException {
        Path target = dir.resolve(key);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(target.resolve(MODEL_FILE))) {
                throw e;
            }
            delete(staging);
        }
    }

    /** Removes an entry that proved unloadable (for example a file cut short by a full disk). */
    void evict(String key) {
        delete(dir.resolve(key));
    }

    static void delete(Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a leftover staging folder costs disk space, nothing else
        }
    }

    /** The ONNX file and its external-data files (the siblings ONNX Runtime would read), sorted. */
    static List<Path> modelFiles(Path onnxFile) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(onnxFile);
        String stem = onnxFile.getFileName().toString();
        Path parent = onnxFile.toAbsolutePath().getParent();
        try (Stream<Path> siblings = Files.list(parent)) {
            siblings.filter(p -> {
                String n = p.getFileName().toString();
                return !n.equals(stem) && (n.startsWith(stem + "_data") || n.startsWith(stem + ".data"));
            }).sorted().forEach(files::add);
        }
        return files;
    }

    /** Whether the model keeps weights in external-data files (the optimized copy must too). */
    static boolean hasExternalData(Path onnxFile) {
        try {
            return modelFiles(onnxFile).size() > 1;
        } catch (IOException e) {
            return false;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest d, String value) {
        d.update(value.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
    }

    @Override
    public String toString() {
        return "OptimizedModelCache[" + dir + "]";
    }
}
