package dev.peregrine.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@value #FILE_NAME} in a pulled folder: where the files came from (repository, revision, commit,
 * endpoint, time) and what each file is (size, hashes). It is written last, so a folder whose
 * manifest names a commit holds that commit's files.
 *
 * <p>Each entry also keeps the file's modification time when it was verified: a later pull that
 * finds the same size, hash and time skips the file without hashing it again, which makes a
 * repeated pull of a large model instant. Any other file is hashed before it is trusted.
 */
record PullManifest(String repo, String revision, String commit, String endpoint, Instant pulledAt,
                    String variant, List<Entry> files) {

    static final String FILE_NAME = ".peregrine-pull.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file: its listing facts and the modification time it had when verified. */
    record Entry(String path, long size, String sha256, String gitOid, long modifiedMillis) {

        /** Whether this entry describes the content {@code file} lists. */
        boolean describes(RepoFile file) {
            return path.equals(file.path()) && size == file.size()
                    && Objects.equals(sha256, file.sha256()) && Objects.equals(gitOid, file.gitOid());
        }
    }

    PullManifest {
        files = List.copyOf(files);
    }

    /** The entries by path. */
    Map<String, Entry> byPath() {
        Map<String, Entry> map = new LinkedHashMap<>();
        files.forEach(e -> map.put(e.path(), e));
        return map;
    }

    /** The manifest of {@code folder}; empty when there is none or it cannot be read (it is only a cache). */
    static Optional<PullManifest> read(Path folder) {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            List<Entry> entries = new ArrayList<>();
            for (JsonNode f : root.path("files")) {
                entries.add(new Entry(f.path("path").asText(), f.path("size").asLong(-1),
                        textOrNull(f, "sha256"), textOrNull(f, "git_oid"), f.path("modified_ms").asLong(-1)));
            }
            return Optional.of(new PullManifest(root.path("repo").asText(), root.path("revision").asText(),
                    root.path("commit").asText(), root.path("endpoint").asText(),
                    Instant.parse(root.path("pulled_at").asText(Instant.EPOCH.toString())),
                    root.path("variant").asText(), entries));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Writes the manifest through a temporary file and a rename. */
    void write(Path folder) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("repo", repo);
        root.put("revision", revision);
        root.put("commit", commit);
        root.put("endpoint", endpoint);
        root.put("pulled_at", pulledAt.toString());
        root.put("variant", variant);
        ArrayNode array = root.putArray("files");
        for (Entry e : files) {
            ObjectNode f = array.addObject();
            f.put("path", e.path());
            f.put("size", e.size());
            if (e.sha256() != null) {
                f.put("sha256", e.sha256());
            }
            if (e.gitOid() != null) {
                f.put("git_oid", e.gitOid());
            }
            f.put("modified_ms", e.modifiedMillis());
        }
        Path target = folder.resolve(FILE_NAME);
        Path tmp = folder.resolve(FILE_NAME + PartialDownload.SUFFIX);
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }
}
