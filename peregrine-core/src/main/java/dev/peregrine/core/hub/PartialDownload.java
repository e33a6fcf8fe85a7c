package dev.peregrine.core.hub;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/**
 * One file on its way into a model folder: {@code <file>.partial}, the digests of the bytes in it
 * and their count. Bytes are hashed as they are written, and a partial left by an earlier run is
 * hashed once when opened, so verifying a resumed download never reads the whole file again.
 *
 * <p>Digests: SHA-256 always (the hub's LFS id); for files kept in git itself, also the git blob
 * id (SHA-1 of {@code "blob <size>\0"} and the content), which the hub lists as {@code blobId}.
 *
 * <p>One attempt owns an instance. The HTTP client's threads write through {@link #subscriber};
 * the attempt's thread reads the results only after the body completed, and {@link #close()}
 * waits for a write in progress (FileChannel's close does), so no two threads write at once.
 */
final class PartialDownload implements AutoCloseable {

    static final String SUFFIX = ".partial";

    private final Path target;
    private final Path partial;
    private final long gitSize;
    private final MessageDigest sha256;
    private final MessageDigest gitSha1;
    private volatile long bytes;
    private volatile FileChannel channel;

    private PartialDownload(Path target, long gitSize) {
        this.target = target;
        this.partial = partialOf(target);
        this.gitSize = gitSize;
        this.sha256 = digest("SHA-256");
        this.gitSha1 = gitSize >= 0 ? digest("SHA-1") : null;
        resetDigests();
    }

    static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + SUFFIX);
    }

    /**
     * Opens the partial of {@code target}, hashing what an earlier run left in it.
     *
     * @param gitSize the file's size when its git blob id is to be checked, else -1
     */
    static PartialDownload open(Path target, long gitSize) {
        PartialDownload d = new PartialDownload(target, gitSize);
        if (Files.isRegularFile(d.partial)) {
            try (InputStream in = Files.newInputStream(d.partial)) {
                byte[] buffer = new byte[1 << 16];
                long n = 0;
                for (int r; (r = in.read(buffer)) > 0; ) {
                    d.sha256.update(buffer, 0, r);
                    if (d.gitSha1 != null) {
                        d.gitSha1.update(buffer, 0, r);
                    }
                    n += r;
                }
                d.bytes = n;
            } catch (IOException e) {
                throw ioError("cannot read " + d.partial, e);
            }
        }
        return d;
    }

    /** Bytes in the partial file. */
    long bytes() {
        return bytes;
    }

    Path partialPath() {
        return partial;
    }

    /** Empties the partial file and the digests, to download from the first byte. */
    void restart() {
        closeChannel();
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            throw ioError("cannot delete " + partial, e);
        }
        bytes = 0;
        resetDigests();
    }

    /** Deletes the partial file (after a mismatch); never fails. */
    void discard() {
        closeChannel();
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            // nothing better to do: the next pull truncates or resumes it and verifies again
        }
        bytes = 0;
    }

    /**
     * A subscriber that appends a response body to the partial file.
     *
     * @param fromStart  true for a full (200) answer: whatever the partial held is dropped first
     * @param limit      the most bytes the file may have, or -1 when unknown; more is a size mismatch
     * @param onBytes    told how many new bytes arrived, from the HTTP client's threads
     */
    BodySubscriber<Long> subscriber(boolean fromStart, long limit, String name, LongConsumer onBytes) {
        if (fromStart && bytes > 0) {
            restart();
        }
        try {
            Files.createDirectories(partial.getParent());
            channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw ioError("cannot write " + partial, e);
        }
        return new Writer(limit, name, onBytes);
    }

    /** Closes the file if a subscriber opened it; waits for a write in progress. */
    @Override
    public void close() {
        closeChannel();
    }

    String sha256Hex() {
        return HexFormat.of().formatHex(((MessageDigest) clone(sha256)).digest());
    }

    /** The git blob id, or null when it was not computed. */
    String gitOidHex() {
        return gitSha1 == null ? null : HexFormat.of().formatHex(((MessageDigest) clone(gitSha1)).digest());
    }

    /** Renames the complete, verified partial to its final name, replacing an older file. */
    void commit() {
        closeChannel();
        try {
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw ioError("cannot move " + partial + " to " + target, e);
        }
    }

    private void closeChannel() {
        FileChannel c = channel;
        channel = null;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // the data is verified by size and hash before use; a failed close shows there
            }
        }
    }

    private void resetDigests() {
        sha256.reset();
        if (gitSha1 != null) {
            gitSha1.reset();
            gitSha1.update(("blob " + gitSize + "\0").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** A local file error: {@link ErrorKind#IO}, with the reason in words (some JDK messages are only a path). */
    static PeregrineException ioError(String what, IOException e) {
        String reason;
        if (e instanceof java.nio.file.NoSuchFileException) {
            reason = "no such file or folder";
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            reason = "permission denied";
        } else if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            reason = fse.getReason();
        } else {
            reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return new PeregrineException(ErrorKind.IO, what + ": " + reason, e);
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every JVM", e);
        }
    }

    private static Object clone(MessageDigest d) {
        try {
            return d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's " + d.getAlgorithm() + " digest can be cloned", e);
        }
    }

    /** Appends each buffer to the file and the digests; asks for one list of buffers at a time. */
    private final class Writer implements BodySubscriber<Long> {
        private final long limit;
        private final String name;
        private final LongConsumer onBytes;
        private final CompletableFuture<Long> done = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Writer(long limit, String name, LongConsumer onBytes) {
            this.limit = limit;
            this.name = name;
            this.onBytes = onBytes;
        }

        @Override
        public CompletionStage<Long> getBody() {
            return done;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (done.isDone()) {
                return;
            }
            long n = 0;
            for (ByteBuffer b : items) {
                n += b.remaining();
            }
            if (limit >= 0 && bytes + n > limit) {
                subscription.cancel();
                done.completeExceptionally(HubErrors.download("size mismatch for " + name + ": the server sent more than the "
                        + limit + " bytes the hub lists; the partial download was deleted"));
                return;
            }
            try {
                FileChannel c = channel;
                if (c == null) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                for (ByteBuffer b : items) {
                    sha256.update(b.duplicate());
                    if (gitSha1 != null) {
                        gitSha1.update(b.duplicate());
                    }
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
            } catch (IOException e) {
                subscription.cancel();
                done.completeExceptionally(ioError("cannot write " + partial, e));
                return;
            }
            bytes += n;
            onBytes.accept(n);
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(bytes);
        }
    }
}
