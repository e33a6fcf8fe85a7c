package dev.peregrine.cache;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.FileHashes;
import dev.peregrine.core.model.ModelFolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A hash of a model's content, for {@link CacheScope#modelFingerprint()}: the same files give the
 * same fingerprint on every replica, wherever they sit, and any changed byte gives another.
 *
 * <p>It is SHA-256 over each file's length and content hash in the order given (file names and
 * paths are left out, so two copies of one export agree). Reading costs about 0.2 s per 100 MB on one
 * core the first time; each file's hash is then remembered by its path, size and modification time
 * ({@link FileHashes}), so later starts read nothing. Never compute it per request. Thread-safe.
 */
public final class ModelFingerprint {

    /**
     * Files besides the graph and tokenizer.json that change what a folder's model answers, hashed
     * when present: labels and limits, tokenizer limits, sentence-transformers pooling.
     */
    private static final List<String> OPTIONAL_FILES = List.of("config.json", "tokenizer_config.json",
            "special_tokens_map.json", "sentence_bert_config.json", "modules.json", "1_Pooling/config.json");

    private ModelFingerprint() {
    }

    /**
     * Fingerprints a graph and the files that go with it.
     *
     * @param onnxFile the ONNX graph
     * @param others   its external data files, tokenizer.json, config.json, ... in a fixed order
     * @return 64 lower-case hex digits
     * @throws PeregrineException {@link ErrorKind#IO} naming the file that cannot be read
     */
    public static String of(Path onnxFile, Path... others) {
        Objects.requireNonNull(onnxFile, "onnxFile");
        Objects.requireNonNull(others, "others");
        MessageDigest digest = sha256();
        hashFile(digest, onnxFile);
        for (Path other : others) {
            hashFile(digest, Objects.requireNonNull(other, "others contains null"));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Fingerprints a model folder: its chosen ONNX graph, the graph's external data files
     * ({@code model.onnx_data}, {@code model.onnx.data}, ...), tokenizer.json, and whichever of
     * config.json, tokenizer_config.json, special_tokens_map.json, sentence_bert_config.json,
     * modules.json and 1_Pooling/config.json exist (a file appearing or disappearing changes the
     * fingerprint). Options given at load time that change answers (a pooling override, a
     * maximum length) are not in the folder: put them in {@link CacheScope#parameters()}.
     *
     * @throws PeregrineException {@link ErrorKind#IO} naming the file that cannot be read
     */
    public static String of(ModelFolder folder) {
        Objects.requireNonNull(folder, "folder");
        MessageDigest digest = sha256();
        hashFile(digest, folder.onnxFile());
        for (Path data : externalData(folder.onnxFile())) {
            hashFile(digest, data);
        }
        hashFile(digest, folder.tokenizerFile());
        for (String name : OPTIONAL_FILES) {
            Path file = folder.root().resolve(name);
            boolean present = Files.isRegularFile(file);
            // The slot's name and whether it is filled, so that moving bytes between optional files
            // or dropping one cannot give the same stream.
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) (present ? 1 : 0));
            if (present) {
                hashFile(digest, file);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The same convention as the engine's size report: files beside the graph named after it. */
    private static List<Path> externalData(Path onnxFile) {
        String stem = onnxFile.getFileName().toString();
        Path dir = onnxFile.toAbsolutePath().getParent();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> siblings = Files.list(dir)) {
            siblings.filter(p -> {
                String n = p.getFileName().toString();
                return (n.startsWith(stem + "_data") || n.startsWith(stem + ".data")) && Files.isRegularFile(p);
            }).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        return files;
    }

    /** The file's length and content hash (remembered between runs by {@link FileHashes}). */
    private static void hashFile(MessageDigest digest, Path file) {
        try {
            long size = Files.size(file);
            digest.update(ByteBuffer.allocate(Long.BYTES).putLong(0, size));
            digest.update(FileHashes.sha256(file));
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot read " + file + " to fingerprint the model: "
                    + e.getMessage(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
