package dev.peregrine.server.batching;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.List;

/**
 * Runs exactly one forward pass. Each batcher worker owns one runner (in the server, one
 * {@link dev.peregrine.core.engine.Engine} with its own ONNX Runtime session), and calls it from its
 * own thread only, so a runner need not be thread-safe.
 */
@FunctionalInterface
public interface BatchRunner {

    /**
     * @param batch texts already tokenized, at most the batcher's {@code maxBatchSize}
     * @return one row per text, in the given order
     */
    float[][] run(List<EncodedText> batch);
}
