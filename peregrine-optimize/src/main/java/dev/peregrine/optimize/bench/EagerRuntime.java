package dev.peregrine.optimize.bench;

import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import java.util.List;

/**
 * A runtime other than ONNX Runtime that runs a model's forward pass from the same weights: bench's
 * first rows, the seeds' PyTorch-eager baseline. Implemented outside this module (peregrine-distill,
 * on DJL PyTorch), so that the optimizer and the server never load PyTorch.
 */
public interface EagerRuntime {

    /** What it is, for the table's setup column (for example "PyTorch 2.7.1 via DJL"). */
    String describe();

    /**
     * Loads a model.
     *
     * @param info what ONNX Runtime made of the model (task, output, pooling)
     * @throws dev.peregrine.core.PeregrineException when this runtime cannot run the model; the
     *         benchmark then leaves its rows out and says why
     */
    Forward open(ModelFolder folder, ModelInfo info);

    /** One loaded model. Not thread-safe. */
    interface Forward extends AutoCloseable {
        /** What {@link dev.peregrine.core.engine.Engine#forward} gives for the same batch. */
        float[][] forward(List<EncodedText> batch);

        @Override
        void close();
    }
}
