package dev.peregrine.distill;

import ai.djl.engine.Engine;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;

/**
 * PyTorch's native library through DJL, started once per process, offline: the library comes from
 * the {@code pytorch-native-cpu} jar on the class path, never from the network.
 */
final class Torch {

    private static Engine engine;

    private Torch() {
    }

    /**
     * The PyTorch engine.
     *
     * @param threads intra-op threads for the whole process, taken at the first call only; 0 for
     *                PyTorch's default (one per core)
     */
    static synchronized Engine engine(int threads) {
        if (engine == null) {
            System.setProperty("ai.djl.offline", "true");
            if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            }
            try {
                engine = Engine.getEngine("PyTorch");
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                throw new PeregrineException(ErrorKind.INFERENCE_FAILED, "PyTorch (DJL) could not start: " + e.getMessage()
                        + "; its native library comes from the pytorch-native-cpu jar on the class path", e);
            }
        }
        return engine;
    }
}
