package dev.peregrine.monitor;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An optional JSONL log of predictions, for auditing and offline drift analysis. Sampled (a share
 * of predictions is written), rotated by size ({@code file}, {@code file.1}, ... {@code file.N}),
 * and privacy-preserving by default: texts are written as SHA-256 hashes unless {@code logText}.
 *
 * <p>Not thread-safe: the {@link DriftMonitor}'s own thread is its only writer.
 */
public final class PredictionLog implements Closeable {

    private static final JsonFactory JSON = new JsonFactory();

    private final Path file;
    private final double sampleRate;
    private final long maxBytes;
    private final int keepFiles;
    private final boolean logText;
    private final Clock clock;
    private final RandomGenerator random;
    private final MessageDigest sha256;
    private OutputStream out;
    private long written;

    /**
     * @param file       the log file
     * @param sampleRate share of predictions written, in [0, 1]
     * @param maxBytes   rotate when the file passes this size
     * @param keepFiles  rotated files kept beside the current one
     * @param logText    write texts in clear instead of hashed
     */
    public PredictionLog(Path file, double sampleRate, long maxBytes, int keepFiles, boolean logText,
                         Clock clock, RandomGenerator random) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("sample rate must be in [0, 1], was " + sampleRate);
        }
        if (maxBytes < 1024 || keepFiles < 0) {
            throw new IllegalArgumentException("rotation needs maxBytes >= 1024 and keepFiles >= 0");
        }
        this.sampleRate = sampleRate;
        this.maxBytes = maxBytes;
        this.keepFiles = keepFiles;
        this.logText = logText;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        open();
    }

    private void open() throws IOException {
        out = new java.io.BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 1 << 16);
        written = Files.size(file);
    }

    /** Writes one prediction if the sample says so. */
    void write(String model, String text, Observation o, double similarity, String label) {
        if (sampleRate < 1 && random.nextDouble() >= sampleRate) {
            return;
        }
        try {
            if (written >= maxBytes) {
                rotate();
            }
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream(256);
            try (JsonGenerator g = JSON.createGenerator(line, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeStringField("time", clock.instant().toString());
                g.writeStringField("model", model);
                if (text != null) {
                    if (logText) {
                        g.writeStringField("text", text);
                    } else {
                        g.writeStringField("text_sha256", hash(text));
                    }
                }
                g.writeNumberField("tokens", o.tokens());
                g.writeBooleanField("truncated", o.truncated());
                g.writeNumberField("unknown_tokens", o.unknownTokens());
                if (o.probabilities() != null) {
                    float[] p = o.probabilities();
                    int best = Stats.argmax(p);
                    g.writeStringField("label", label);
                    g.writeNumberField("score", p[best]);
                    g.writeNumberField("entropy", Stats.entropy(p));
                } else if (!Double.isNaN(similarity)) {
                    g.writeNumberField("similarity_to_reference", similarity);
                }
                g.writeEndObject();
            }
            line.write('\n');
            line.writeTo(out);
            written += line.size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write prediction log " + file + ": " + e.getMessage(), e);
        }
    }

    private String hash(String text) {
        sha256.reset();
        return HexFormat.of().formatHex(sha256.digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private void rotate() throws IOException {
        out.close();
        if (keepFiles == 0) {
            Files.deleteIfExists(file);
        } else {
            Files.deleteIfExists(sibling(keepFiles));
            for (int i = keepFiles - 1; i >= 1; i--) {
                if (Files.exists(sibling(i))) {
                    Files.move(sibling(i), sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, sibling(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private Path sibling(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
