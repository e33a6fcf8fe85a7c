package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The model behind the cache in tests: a tiny classifier built in code, run by the real engine
 * (real tokenizer, real ONNX Runtime) on a pool of its own, as the server's batcher would. It counts
 * its calls and texts, and can be held at a gate or made to fail for chosen texts.
 */
final class TinyModel {

    private static TinyModel shared;

    final ModelFolder folder;
    private final Engine engine;
    private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "tiny-model");
        t.setDaemon(true);
        return t;
    });
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger texts = new AtomicInteger();
    final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
    private volatile CountDownLatch gate;
    private volatile Set<String> poison = Set.of();

    private TinyModel(ModelFolder folder) {
        this.folder = folder;
        this.engine = Engine.open(folder);
    }

    /** One model for the whole test run (building and loading it once keeps the suite fast). */
    static synchronized TinyModel shared() {
        if (shared == null) {
            try {
                Path dir = Path.of("target", "cache-test-model");
                if (!Files.exists(dir.resolve("config.json"))) { // written last
                    Fixtures.tinyClassifier(dir, Fixtures.TinyWeights.of(3, 7), List.of("red", "green", "blue"), false);
                }
                shared = new TinyModel(ModelFolder.open(dir, null, "tiny"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Forgets counts, gate and poison. */
    void reset() {
        calls.set(0);
        texts.set(0);
        batches.clear();
        gate = null;
        poison = Set.of();
    }

    /** Holds every computation until the returned latch is counted down. */
    CountDownLatch hold() {
        CountDownLatch latch = new CountDownLatch(1);
        gate = latch;
        return latch;
    }

    /** Makes computations that include any of these texts fail. */
    void poison(Set<String> texts) {
        poison = Set.copyOf(texts);
    }

    Function<List<String>, CompletableFuture<List<TextResult>>> compute() {
        return this::computeAsync;
    }

    CompletableFuture<List<TextResult>> computeAsync(List<String> input) {
        calls.incrementAndGet();
        texts.addAndGet(input.size());
        batches.add(List.copyOf(input));
        CountDownLatch latch = gate;
        Set<String> bad = poison;
        return CompletableFuture.supplyAsync(() -> {
            if (latch != null) {
                try {
                    if (!latch.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            for (String text : input) {
                if (bad.contains(text)) {
                    throw new PeregrineException(ErrorKind.INPUT_TOO_LONG, "poisoned text: " + text);
                }
            }
            return direct(input);
        }, pool);
    }

    /** The model's answers, computed now on the calling thread, with no cache. */
    List<TextResult> direct(List<String> input) {
        List<EncodedText> encoded = engine.encode(input);
        float[][] rows = engine.run(encoded);
        List<TextResult> out = new ArrayList<>(rows.length);
        for (int i = 0; i < rows.length; i++) {
            out.add(TextResult.of(rows[i], encoded.get(i).length(), encoded.get(i).truncated()));
        }
        return out;
    }
}
