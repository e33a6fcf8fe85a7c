package dev.peregrine.core.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * SHA-256 of a file's content, remembered between runs. Model files are read whole to be hashed (a
 * 90 MB graph takes 0.2-0.3 s on one core), and a server hashes each model at every start (the
 * prediction cache's keys, the optimized-graph cache's), so each file's hash is kept under
 * {@link PeregrineHome#fingerprints()}, with the file's real path, size and modification time, and
 * read again only when one of them changes. A file rewritten in place with the same size and the same
 * nanosecond timestamp would keep its old hash; no tool that writes models does that.
 *
 * <p>Thread-safe; a memo that cannot be read or written only means the file is hashed again.
 */
public final class FileHashes {

    private static final int CHUNK = 1 << 20;

    private FileHashes() {
    }

    /** {@link #sha256(Path, Path)} with the memo in the environment's home. */
    public static byte[] sha256(Path file) throws IOException {
        return sha256(file, PeregrineHome.fromEnvironment().fingerprints());
    }

    /**
     * The SHA-256 of {@code file}'s bytes.
     *
     * @param memoDir where hashes are remembered (created when needed)
     * @throws IOException when the file cannot be read, or changed size while it was read
     */
    public static byte[] sha256(Path file, Path memoDir) throws IOException {
        Objects.requireNonNull(file, "file");
        Path real = file.toRealPath();
        BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
        String stamp = attrs.size() + " " + attrs.lastModifiedTime().toInstant() + " " + real;
        Path memo = memoDir == null ? null
                : memoDir.resolve(HexFormat.of().formatHex(digest().digest(real.toString().getBytes(StandardCharsets.UTF_8)))
                        .substring(0, 40));
        if (memo != null) {
            try {
                List<String> lines = Files.readAllLines(memo, StandardCharsets.UTF_8);
                if (lines.size() == 2 && lines.get(0).equals(stamp) && lines.get(1).matches("[0-9a-f]{64}")) {
                    return HexFormat.of().parseHex(lines.get(1));
                }
            } catch (IOException | RuntimeException e) {
                // not remembered yet, or unreadable: hash the file
            }
        }
        byte[] hash = hashContent(real, attrs.size());
        if (memo != null) {
            try {
                Files.createDirectories(memoDir);
                Path tmp = Files.createTempFile(memoDir, ".memo-", "");
                Files.writeString(tmp, stamp + "\n" + HexFormat.of().formatHex(hash) + "\n", StandardCharsets.UTF_8);
                Files.move(tmp, memo, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                // a read-only home still works; the file is only hashed again next time
            }
        }
        return hash;
    }

    private static byte[] hashContent(Path file, long expected) throws IOException {
        MessageDigest d = digest();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(expected, 1)));
            long read = 0;
            while (true) {
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    break;
                }
                read += n;
                buffer.flip();
                d.update(buffer);
            }
            if (read != expected) {
                throw new IOException("changed while being read (" + expected + " bytes, then " + read + ")");
            }
        }
        return d.digest();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
