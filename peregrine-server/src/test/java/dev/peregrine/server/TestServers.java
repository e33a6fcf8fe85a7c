package dev.peregrine.server;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Servers for the HTTP tests: a real server on a random loopback port with the embedded default
 * model and a tiny classifier built here. The shared one is started once for all test classes that
 * only read from it; tests that change a server's state (overload, shutdown) start their own.
 */
public final class TestServers {

    public static final String API_KEY = "test-key";
    public static final String EMBEDDER = "all-minilm-l6-v2";
    public static final String CLASSIFIER = "tiny";
    public static final List<String> LABELS = List.of("billing", "technical", "general");
    public static final int MAX_INPUTS = 64;
    public static final long MAX_BODY = 256 * 1024;

    private static PeregrineServer shared;

    private TestServers() {
    }

    public static ModelResolver resolver() {
        return new ModelResolver(PeregrineHome.at(Path.of("target", "test-home")));
    }

    /** The tiny classifier's folder (built once per build). */
    public static synchronized Path classifierFolder() {
        Path dir = Path.of("target", "test-models", CLASSIFIER).toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("model.onnx"))) {
            try {
                Fixtures.tinyClassifier(dir, TinyWeights.of(3, 42), LABELS, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    /** A configuration with both test models on a random loopback port. */
    public static ServeConfig.Builder config() {
        return ServeConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .model(EMBEDDER, EMBEDDER)
                .model(CLASSIFIER, classifierFolder().toString())
                .threads(1)
                .tokenizerThreads(2)
                // What every stop took before the drain ended early; test clients keep idle connections.
                .drainIdleGrace(Duration.ofSeconds(1));
    }

    /** The shared server: API key {@value #API_KEY}, at most {@value #MAX_INPUTS} texts and {@value #MAX_BODY} bytes per request. */
    public static synchronized PeregrineServer shared() {
        if (shared == null) {
            shared = PeregrineServer.start(config().apiKey(API_KEY).maxInputs(MAX_INPUTS).maxBodyBytes(MAX_BODY).build(),
                    resolver());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop));
        }
        return shared;
    }

    /** The default model, loaded directly, to compare the server's answers with. */
    public static Engine directEmbedder() {
        return Engine.open(resolver().resolve(EMBEDDER));
    }

    public static Engine directClassifier() {
        return Engine.open(ModelFolder.open(classifierFolder()));
    }
}
