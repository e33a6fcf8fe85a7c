package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.server.batching.BatchListener;
import dev.peregrine.server.batching.BatchRunner;
import dev.peregrine.server.batching.BatchingOptions;
import dev.peregrine.server.batching.DynamicBatcher;
import dev.peregrine.server.batching.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served model: its workers' engines (one ONNX Runtime session each) and its batcher.
 * Tokenization uses the first engine's tokenizer, which is thread-safe.
 */
final class ModelHost implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);

    final ServedModel served;
    final DynamicBatcher batcher;
    private final List<Engine> engines;

    private ModelHost(ServedModel served, List<Engine> engines, DynamicBatcher batcher) {
        this.served = served;
        this.engines = engines;
        this.batcher = batcher;
    }

    /** Loads one engine per instance and starts the batcher. */
    static ModelHost open(String name, List<String> aliases, ModelFolder folder, ModelSettings settings, int maxLength,
                          Duration maxQueueDelay, int maxQueuedTexts, BatchListener listener) {
        List<Engine> engines = new ArrayList<>();
        try {
            for (int i = 0; i < settings.instances(); i++) {
                engines.add(Engine.open(folder, settings.engineOptions(maxLength)));
            }
            Engine first = engines.get(0);
            // A graph with a fixed batch axis runs one text per pass whatever was asked.
            int maxBatchSize = Math.min(settings.maxBatchSize(), first.maxBatchSize());
            // Padding costs nothing extra when the graph pads every text to a fixed length anyway.
            int passOverhead = first.fixedSequenceLength() > 0 ? Integer.MAX_VALUE : first.options().passOverheadTokens();
            BatchingOptions options = new BatchingOptions(maxBatchSize, settings.maxBatchTokens(), maxQueueDelay,
                    maxQueuedTexts, passOverhead);
            List<BatchRunner> runners = new ArrayList<>();
            for (Engine engine : engines) {
                runners.add(engine::forward);
            }
            DynamicBatcher batcher = new DynamicBatcher(name, options, runners, Ticker.system(), listener);
            return new ModelHost(new ServedModel(name, aliases, first.info(), settings), List.copyOf(engines), batcher);
        } catch (RuntimeException e) {
            engines.forEach(Engine::close);
            throw e;
        }
    }

    String name() {
        return served.name();
    }

    List<EncodedText> encode(List<String> texts, boolean truncate) {
        return engines.get(0).encode(texts, truncate);
    }

    Engine engine() {
        return engines.get(0);
    }

    /** Refuses new work; admitted work still runs. */
    void shutdown() {
        batcher.shutdown();
    }

    /** Finishes admitted work (up to {@code timeout}), then frees the sessions. */
    void close(Duration timeout) {
        batcher.shutdown();
        try {
            if (!batcher.awaitTermination(timeout)) {
                LOG.warn("model '{}': work still running after {} ms; closing anyway", name(), timeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engines.forEach(Engine::close);
    }

    @Override
    public void close() {
        close(Duration.ofMinutes(1));
    }
}
