package dev.peregrine.onnx.check;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.peregrine.onnx.OnnxModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * An ONNX Runtime session over an in-memory {@link ModelProto}. Models up to 1 GB are handed over
 * as bytes; larger ones (protobuf cannot serialize 2 GB) are written to a temporary folder with
 * their weights as external data, and the folder is deleted on close.
 */
public final class LoadedSession implements AutoCloseable {

    /** Models larger than this go through a temporary file. */
    static final long IN_MEMORY_LIMIT = 1L << 30;

    private final OrtSession session;
    private final Path temp;

    private LoadedSession(OrtSession session, Path temp) {
        this.session = session;
        this.temp = temp;
    }

    /**
     * @throws OrtException when ONNX Runtime refuses the graph
     * @throws UncheckedIOException when the temporary file cannot be written
     */
    public static LoadedSession open(OrtEnvironment env, ModelProto model, OrtSession.SessionOptions options)
            throws OrtException {
        return open(env, model, options, IN_MEMORY_LIMIT);
    }

    /** As {@link #open(OrtEnvironment, ModelProto, OrtSession.SessionOptions)}, with the size limit given. */
    static LoadedSession open(OrtEnvironment env, ModelProto model, OrtSession.SessionOptions options, long limit)
            throws OrtException {
        if (model.getSerializedSize() < limit) {
            return new LoadedSession(env.createSession(model.toByteArray(), options), null);
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("peregrine-model");
            Path file = dir.resolve("model.onnx");
            OnnxModel.write(model, file);
            return new LoadedSession(env.createSession(file.toString(), options), dir);
        } catch (IOException e) {
            delete(dir);
            throw new UncheckedIOException("cannot write a temporary copy of a large model: " + e.getMessage(), e);
        } catch (OrtException | RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    /** The temporary folder the model was written to, or null when it was loaded from memory. */
    Path temporaryFolder() {
        return temp;
    }

    public OrtSession session() {
        return session;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException ignored) {
            // the session is gone either way
        }
        delete(temp);
    }

    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
