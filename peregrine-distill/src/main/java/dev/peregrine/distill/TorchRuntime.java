package dev.peregrine.distill;

import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.optimize.bench.EagerRuntime;
import java.util.List;

/**
 * PyTorch eager through DJL as bench's first rows: the model's own ONNX weights in {@link TorchModel},
 * one operation at a time as the seeds' Python baseline ran them.
 */
public final class TorchRuntime implements EagerRuntime {

    private final int threads;

    /** @param threads PyTorch threads (the first PyTorch use in the process decides); 0 = one per core */
    public TorchRuntime(int threads) {
        this.threads = threads;
    }

    @Override
    public String describe() {
        return "PyTorch " + Torch.engine(threads).getVersion() + " eager (DJL)";
    }

    @Override
    public Forward open(ModelFolder folder, ModelInfo info) {
        TorchModel model = TorchModel.load(LayerDistiller.readGraph(folder), info,
                LayerDistiller.configuredHeads(folder), threads);
        return new Forward() {
            @Override
            public float[][] forward(List<EncodedText> batch) {
                return model.rows(batch);
            }

            @Override
            public void close() {
                model.close();
            }
        };
    }
}
