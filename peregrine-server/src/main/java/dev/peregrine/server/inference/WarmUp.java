package dev.peregrine.server.inference;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The passes a model runs before it is ready, so that early requests do not pay for first-time work:
 * ONNX Runtime growing its memory arena and planning memory for a shape it has not seen, and the JIT
 * compiling the input, pooling and post-processing code. Cheap on purpose: one text at lengths
 * 16, 64, 256 (each four times the last) and the model's limit, and one batch of short texts, about
 * twice the model's maximum length (at most {@value #LONGEST}) in tokens
 * in all: tens of milliseconds for a MiniLM on two cores.
 */
final class WarmUp {

    static final int SHORTEST = 16;
    /** Longer texts are rare and cost far more than their first-time work: no pass warms them. */
    static final int LONGEST = 512;
    static final int BATCH = 8;

    private WarmUp() {
    }

    /** The passes, shortest first: one text per length, then a batch of short texts. */
    static List<List<EncodedText>> passes(Engine engine, int maxBatchSize) {
        int max = engine.fixedSequenceLength() > 0 ? engine.fixedSequenceLength()
                : Math.min(LONGEST, engine.info().maxLength());
        EncodedText longest = engine.encode(List.of("warm up ".repeat(Math.max(1, max))), true).get(0);
        if (longest.length() > max) {
            longest = prefix(longest, max);
        }
        List<List<EncodedText>> passes = new ArrayList<>();
        if (engine.fixedSequenceLength() > 0) {
            // Every pass is padded to the graph's length: one shape only.
            passes.add(List.of(prefix(longest, Math.min(SHORTEST, longest.length()))));
            return passes;
        }
        for (int length = SHORTEST; length < longest.length(); length *= 4) {
            passes.add(List.of(prefix(longest, length)));
        }
        passes.add(List.of(longest));
        int rows = Math.min(BATCH, Math.min(maxBatchSize, engine.maxBatchSize()));
        if (rows > 1) {
            passes.add(Collections.nCopies(rows, prefix(longest, Math.min(SHORTEST, longest.length()))));
        }
        return passes;
    }

    /**
     * Runs the passes on {@code engine}; with {@code parallel} above 1, the longest pass also runs on
     * that many threads at once, as that many instances sharing the session would run it, so the
     * memory each concurrent pass needs is allocated before ready (and shows in the start-up report).
     */
    static void run(Engine engine, int maxBatchSize, int parallel) {
        List<List<EncodedText>> passes = passes(engine, maxBatchSize);
        if (parallel <= 1) {
            passes.forEach(engine::forward);
            return;
        }
        List<EncodedText> longest = passes.stream().max((a, b) -> Integer.compare(a.get(0).length(),
                b.get(0).length())).orElseThrow();
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int i = 0; i < parallel; i++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    engine.forward(longest);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            }, "peregrine-warm-up-" + i);
            t.setDaemon(true);
            t.start();
            runs.add(done);
        }
        try {
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    private static EncodedText prefix(EncodedText text, int length) {
        return new EncodedText(Arrays.copyOf(text.ids(), length), Arrays.copyOf(text.typeIds(), length), false, 0);
    }
}
