package dev.peregrine.onnx.check;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.peregrine.onnx.OnnxFormatException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks a rewritten graph the only way that counts: ONNX Runtime loads it and runs it. Used by
 * rewriters to prove their output loads, and by tests to compare a rewritten graph's outputs with
 * the original's on the same inputs.
 *
 * <p>Needs {@code com.microsoft.onnxruntime:onnxruntime} on the class path (an optional dependency
 * of this module: graph reading and writing work without it). Stateless and thread-safe.
 */
public final class OrtCheck {

    private OrtCheck() {
    }

    /** How two runs of a graph differ, per float output: the largest absolute difference. */
    public record Comparison(Map<String, Double> maxAbsDiff, Map<String, Double> maxAbsValue) {

        /** The largest difference over all outputs. */
        public double worst() {
            return maxAbsDiff.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
        }

        /** True when every output differs by at most {@code tolerance}. */
        public boolean within(double tolerance) {
            return worst() <= tolerance;
        }
    }

    /**
     * Loads {@code model} in ONNX Runtime with its full optimization and closes it again.
     *
     * @throws OnnxFormatException with ONNX Runtime's message when it refuses the graph
     */
    public static void load(ModelProto model) {
        try (Session s = open(model, OptLevel.ALL_OPT)) {
            Objects.requireNonNull(s);
        }
    }

    /**
     * Runs {@code model} once and returns its float outputs, flattened, by name.
     *
     * @param level ONNX Runtime's optimization level (NO_OPT runs the graph exactly as written)
     */
    public static Map<String, float[]> run(ModelProto model, Map<String, Feed> feeds, OptLevel level) {
        try (Session s = open(model, level)) {
            return s.run(feeds);
        }
    }

    /**
     * Runs both graphs on the same inputs and compares every float output they share by name.
     * The expected graph runs without optimization, the actual one with ONNX Runtime's full
     * optimization, as it will in use.
     */
    public static Comparison compare(ModelProto expected, ModelProto actual, Map<String, Feed> feeds) {
        Map<String, float[]> want = run(expected, feeds, OptLevel.NO_OPT);
        Map<String, float[]> got = run(actual, feeds, OptLevel.ALL_OPT);
        Map<String, Double> diffs = new LinkedHashMap<>();
        Map<String, Double> magnitudes = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : want.entrySet()) {
            float[] g = got.get(e.getKey());
            if (g == null) {
                throw new IllegalStateException("rewritten graph lost output '" + e.getKey() + "'");
            }
            float[] w = e.getValue();
            if (g.length != w.length) {
                throw new IllegalStateException("output '" + e.getKey() + "' has " + g.length
                        + " values, expected " + w.length);
            }
            double worst = 0;
            double magnitude = 0;
            for (int i = 0; i < w.length; i++) {
                double d = Math.abs((double) w[i] - g[i]);
                if (Double.isNaN(d)) {
                    d = Double.POSITIVE_INFINITY;
                }
                worst = Math.max(worst, d);
                magnitude = Math.max(magnitude, Math.abs(w[i]));
            }
            diffs.put(e.getKey(), worst);
            magnitudes.put(e.getKey(), magnitude);
        }
        return new Comparison(diffs, magnitudes);
    }

    private static Session open(ModelProto model, OptLevel level) {
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "peregrine");
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(level);
            options.setIntraOpNumThreads(1);
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (level != OptLevel.NO_OPT && level != OptLevel.BASIC_OPT && hasBiasFreeLayerNorm(model)) {
                // ONNX Runtime 1.28's SkipLayerNormFusion faults (kills the JVM) on such a node;
                // the engine in peregrine-core disables it the same way.
                options.addConfigEntry("optimization.disable_specified_optimizers", "SkipLayerNormFusion");
            }
            return new Session(env, LoadedSession.open(env, model, options));
        } catch (OrtException e) {
            throw new OnnxFormatException("ONNX Runtime refuses the graph: " + e.getMessage(), e);
        }
    }

    private static boolean hasBiasFreeLayerNorm(ModelProto model) {
        return model.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("LayerNormalization")
                && (n.getInputCount() < 3 || n.getInput(2).isEmpty()));
    }

    /** A loaded session and the environment its tensors are made in. */
    private record Session(OrtEnvironment env, LoadedSession loaded) implements AutoCloseable {

        OrtSession session() {
            return loaded.session();
        }

        Map<String, float[]> run(Map<String, Feed> feeds) {
            Map<String, OnnxTensor> tensors = new HashMap<>();
            try {
                for (Map.Entry<String, Feed> e : feeds.entrySet()) {
                    if (session().getInputNames().contains(e.getKey())) {
                        tensors.put(e.getKey(), tensor(e.getValue()));
                    }
                }
                Map<String, float[]> out = new LinkedHashMap<>();
                try (OrtSession.Result result = session().run(tensors)) {
                    for (Map.Entry<String, OnnxValue> e : result) {
                        if (e.getValue() instanceof OnnxTensor t
                                && t.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
                            FloatBuffer buf = t.getFloatBuffer();
                            float[] values = new float[buf.remaining()];
                            buf.get(values);
                            out.put(e.getKey(), values);
                        }
                    }
                }
                return out;
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed to run the graph: " + e.getMessage(), e);
            } finally {
                tensors.values().forEach(OnnxTensor::close);
            }
        }

        private OnnxTensor tensor(Feed f) throws OrtException {
            if (f.data() instanceof float[] v) {
                return OnnxTensor.createTensor(env, FloatBuffer.wrap(v), f.shape());
            } else if (f.data() instanceof long[] v) {
                return OnnxTensor.createTensor(env, LongBuffer.wrap(v), f.shape());
            }
            return OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) f.data()), f.shape());
        }

        @Override
        public void close() {
            loaded.close();
        }
    }

    /** Names of the graph's inputs as ONNX Runtime sees them (initializer inputs excluded). */
    public static List<String> inputNames(ModelProto model) {
        try (Session s = open(model, OptLevel.NO_OPT)) {
            return List.copyOf(s.session().getInputNames());
        }
    }
}
