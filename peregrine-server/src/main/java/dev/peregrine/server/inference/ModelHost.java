package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.server.batching.BatchListener;
import dev.peregrine.server.batching.BatchRunner;
import dev.peregrine.server.batching.BatchingOptions;
import dev.peregrine.server.batching.DynamicBatcher;
import dev.peregrine.server.batching.Ticker;
import dev.peregrine.server.startup.ProcessMemory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served model: its workers' engines and its batcher. With shared weights (the default) every
 * worker runs its passes on one engine, so on one ONNX Runtime session and one copy of the weights
 * (ONNX Runtime runs concurrent passes on a session; each pass has its own scratch memory). Without,
 * each worker has its own session. Tokenization uses the first engine's tokenizer, which is
 * thread-safe.
 */
final class ModelHost implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);

    final ServedModel served;
    final DynamicBatcher batcher;
    final Loaded loaded;
    private final List<Engine> engines;

    /**
     * What loading took, for the start-up report.
     *
     * @param runtimeNanos     getting ONNX Runtime's environment (its native libraries, the first time)
     * @param tokenizerNanos   loading the tokenizer(s)
     * @param sessionNanos     every session's creation
     * @param graphCache       what the optimized-graph cache did for the first session
     * @param firstPassNanos   the first session's first pass
     * @param warmUpNanos      the warm-up passes ({@link WarmUp})
     * @param rssOneInstanceKb resident memory once the first instance was warm (-1 unknown)
     * @param rssAfterKb       resident memory once every instance was warm (-1 unknown)
     */
    record Loaded(long runtimeNanos, long tokenizerNanos, long sessionNanos, Engine.GraphCache graphCache,
                  long firstPassNanos, long warmUpNanos, long rssOneInstanceKb, long rssAfterKb) {
    }

    private ModelHost(ServedModel served, List<Engine> engines, DynamicBatcher batcher, Loaded loaded) {
        this.served = served;
        this.engines = engines;
        this.batcher = batcher;
        this.loaded = loaded;
    }

    /**
     * Opens the sessions, warms every instance up (see {@link WarmUp}) and starts the batcher.
     *
     * @param graphCache the optimized-graph cache folder, or null for none
     */
    static ModelHost open(String name, List<String> aliases, ModelFolder folder, ModelSettings settings, int maxLength,
                          Path graphCache, Duration maxQueueDelay, int maxQueuedTexts, BatchListener listener) {
        List<Engine> engines = new ArrayList<>();
        try {
            long sessionNanos = 0;
            long runtimeNanos = 0;
            long tokenizerNanos = 0;
            long firstPass = 0;
            long warmUp = 0;
            long rssOne = -1;
            for (int i = 0; i < settings.sessions(); i++) {
                Engine engine = Engine.open(folder, settings.engineOptions(maxLength, graphCache));
                engines.add(engine);
                sessionNanos += engine.loadReport().sessionNanos();
                runtimeNanos += engine.loadReport().runtimeNanos();
                tokenizerNanos += engine.loadReport().tokenizerNanos();
                if (i == 0) {
                    firstPass = engine.loadReport().warmUpNanos();
                    long t0 = System.nanoTime();
                    WarmUp.run(engine, settings.maxBatchSize(), 1);
                    warmUp += System.nanoTime() - t0;
                    rssOne = ProcessMemory.residentKb();
                }
            }
            Engine first = engines.get(0);
            if (settings.instances() > 1) {
                // Each extra instance's own memory (its passes' scratch space) is allocated by a pass
                // running beside the others: run one on every instance at once.
                long t0 = System.nanoTime();
                if (settings.shareWeights()) {
                    WarmUp.run(first, settings.maxBatchSize(), settings.instances());
                } else {
                    for (Engine e : engines.subList(1, engines.size())) {
                        WarmUp.run(e, settings.maxBatchSize(), 1);
                    }
                }
                warmUp += System.nanoTime() - t0;
            }
            long rssAfter = settings.instances() > 1 ? ProcessMemory.residentKb() : rssOne;
            // A graph with a fixed batch axis runs one text per pass whatever was asked.
            int maxBatchSize = Math.min(settings.maxBatchSize(), first.maxBatchSize());
            // Padding costs nothing extra when the graph pads every text to a fixed length anyway.
            int passOverhead = first.fixedSequenceLength() > 0 ? Integer.MAX_VALUE : settings.passOverheadTokens();
            BatchingOptions options = new BatchingOptions(maxBatchSize, settings.maxBatchTokens(), maxQueueDelay,
                    maxQueuedTexts, passOverhead);
            List<BatchRunner> runners = new ArrayList<>();
            for (int i = 0; i < settings.instances(); i++) {
                // Raw rows: a classifier's logits, turned into probabilities per request (unless it asks for
                // raw scores) when its answer is finished.
                runners.add(engines.get(i % engines.size())::forwardRaw);
            }
            DynamicBatcher batcher = new DynamicBatcher(name, options, runners, Ticker.system(), listener);
            Loaded loaded = new Loaded(runtimeNanos, tokenizerNanos, sessionNanos, first.loadReport().graphCache(),
                    firstPass, warmUp, rssOne, rssAfter);
            return new ModelHost(new ServedModel(name, aliases, first.info(), settings, first), List.copyOf(engines), batcher,
                    loaded);
        } catch (RuntimeException e) {
            engines.forEach(Engine::close);
            throw e;
        }
    }

    String name() {
        return served.name();
    }

    List<EncodedText> encode(List<String> texts, boolean truncate, TruncationDirection direction,
                             boolean addSpecialTokens) {
        return engines.get(0).encode(texts, truncate, direction, addSpecialTokens);
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
