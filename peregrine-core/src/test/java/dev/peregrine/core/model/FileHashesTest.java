package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHashesTest {

    @TempDir
    Path tmp;

    private static byte[] direct(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    private long memos(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    @Test
    void theHashIsTheContentsSha256_rememberedOnce_andTakenAgainWhenTheFileChanges() throws Exception {
        Path file = Files.writeString(tmp.resolve("model.onnx"), "weights ".repeat(1000));
        Path memo = tmp.resolve("memo");
        assertThat(FileHashes.sha256(file, memo)).isEqualTo(direct(file));
        assertThat(memos(memo)).isEqualTo(1);
        assertThat(FileHashes.sha256(file, memo)).isEqualTo(direct(file));
        assertThat(memos(memo)).isEqualTo(1);

        // Same size, another byte, a later timestamp: hashed again, not the remembered value.
        Files.writeString(file, "Weights ".repeat(1000));
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertThat(FileHashes.sha256(file, memo)).isEqualTo(direct(file));
    }

    @Test
    void aCorruptMemo_isIgnored_andAMissingFileIsAnError() throws Exception {
        Path file = Files.writeString(tmp.resolve("a.onnx"), "abc");
        Path memo = tmp.resolve("memo");
        FileHashes.sha256(file, memo);
        try (Stream<Path> s = Files.list(memo)) {
            Files.writeString(s.findFirst().orElseThrow(), "garbage");
        }
        assertThat(FileHashes.sha256(file, memo)).isEqualTo(direct(file));
        assertThatThrownBy(() -> FileHashes.sha256(tmp.resolve("missing.onnx"), memo))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing.onnx");
    }
}
