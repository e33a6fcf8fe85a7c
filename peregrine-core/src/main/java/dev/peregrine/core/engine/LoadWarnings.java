package dev.peregrine.core.engine;

import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a loader should tell the user about a model before it serves it: an INT8 model built for a
 * CPU feature this CPU lacks (it may answer less faithfully here), or a model whose own fidelity
 * check failed when it was written. The rules are pure ({@link #of}); {@link #logOnce} logs each
 * warning once per process, however many engines load the same file.
 */
public final class LoadWarnings {

    /** Graph metadata: whether the quantized model passed its fidelity gate ("passed ..." or "FAILED ..."). */
    public static final String FIDELITY_KEY = "peregrine.fidelity";
    /** Graph metadata: int8 weight range, {@code full} or {@code reduced}. */
    public static final String WEIGHT_RANGE_KEY = "peregrine.quantization.weight_range";

    private static final Logger LOG = LoggerFactory.getLogger(LoadWarnings.class);
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private LoadWarnings() {
    }

    /** The warnings for a model with this graph metadata on {@code cpu}; empty when there is nothing to say. */
    public static List<String> of(String model, Map<String, String> metadata, CpuFeatures cpu) {
        List<String> out = new ArrayList<>();
        String fidelity = metadata.get(FIDELITY_KEY);
        if (fidelity != null && fidelity.startsWith("FAILED")) {
            out.add("model '" + model + "' failed its fidelity check when it was quantized (" + fidelity
                    + "); its answers may differ from the original's. Fix: quantize again with other settings, "
                    + "or serve the float32 model");
        }
        String recorded = metadata.get(CpuTarget.METADATA_KEY);
        CpuTarget target = recorded == null ? null : CpuTarget.fromId(recorded);
        if (target != null) {
            List<String> missing = target.missingOn(cpu);
            if (!missing.isEmpty()) {
                boolean full = "full".equals(metadata.get(WEIGHT_RANGE_KEY));
                String risk = full && !cpu.int8Accumulates32()
                        ? "its full-range int8 weights saturate in this CPU's 16-bit u8 x s8 products and lose accuracy"
                        : "it may be slower or less faithful here than a model quantized for this CPU";
                out.add("model '" + model + "' was quantized for " + target.id() + " (" + target.description()
                        + ") but this CPU (" + cpu.modelName() + ") lacks " + String.join(", ", missing) + ": " + risk
                        + ". Fix: re-quantize it on this machine with --target-cpu auto (here: "
                        + CpuTarget.of(cpu).id() + ")");
            }
        }
        return out;
    }

    /** Logs each warning at WARN level the first time this process sees it for this file. */
    static void logOnce(String file, List<String> warnings) {
        for (String w : warnings) {
            if (LOGGED.add(file + "\n" + w)) {
                LOG.warn(w);
            }
        }
    }
}
