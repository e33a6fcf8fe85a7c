package dev.peregrine.optimize.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.tokenize.EncodedText;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Measures {@link ActivationStats} by running a text model's graph on tokenized calibration texts
 * with the observed values exposed as outputs. Texts run in batches of similar length; only real
 * tokens count toward the ranges. Feeds the graph's inputs by their conventional names
 * ({@code input_ids}, {@code attention_mask}, {@code token_type_ids}, {@code position_ids}).
 */
public final class Calibrator {

    private static final int BATCH = 16;
    /** Token rows kept per value for simulating quantized products. */
    public static final int SAMPLE_ROWS = 160;

    private Calibrator() {
    }

    /**
     * @param model  the float graph
     * @param values the activations to observe (rank 2 or 3, channels on the last axis)
     * @param texts  tokenized calibration texts
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when the graph does not run
     */
    public static ActivationStats collect(ModelProto model, Collection<String> values, List<EncodedText> texts) {
        Set<String> wanted = new LinkedHashSet<>(values);
        GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (String v : wanted) {
            if (outputs.add(v)) {
                g.addOutput(ValueInfoProto.newBuilder().setName(v));
            }
        }
        ModelProto probe = model.toBuilder().setGraph(g).build();
        Map<String, float[]> max = new HashMap<>();
        Map<String, float[]> low = new HashMap<>();
        Map<String, float[]> high = new HashMap<>();
        Map<String, Reservoir> samples = new HashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "peregrine");
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
            try (dev.peregrine.onnx.check.LoadedSession loaded =
                         dev.peregrine.onnx.check.LoadedSession.open(env, probe, options)) {
                OrtSession session = loaded.session();
                List<EncodedText> sorted = texts.stream()
                        .sorted(java.util.Comparator.comparingInt(EncodedText::length)).toList();
                for (int start = 0; start < sorted.size(); start += BATCH) {
                    List<EncodedText> batch = sorted.subList(start, Math.min(sorted.size(), start + BATCH));
                    run(env, session, model, batch, wanted, max, low, high, samples);
                }
            }
        } catch (OrtException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    "cannot run the graph for calibration: " + e.getMessage(), e);
        }
        Map<String, float[][]> rows = new HashMap<>();
        samples.forEach((k, r) -> rows.put(k, r.rows()));
        return new ActivationStats(max, low, high, rows, texts.size());
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** Seeded reservoir sampling of rows, so every token has the same chance to be kept. */
    private static final class Reservoir {
        private final float[][] rows;
        private final java.util.Random random = new java.util.Random(1);
        private long seen;

        Reservoir(int capacity, int channels) {
            rows = new float[capacity][channels];
        }

        void offer(FloatBuffer buf, int offset) {
            long k = seen++;
            int slot = k < rows.length ? (int) k : (int) (random.nextDouble() * (k + 1));
            if (slot < rows.length) {
                buf.get(offset, rows[slot], 0, rows[slot].length);
            }
        }

        float[][] rows() {
            return seen >= rows.length ? rows : java.util.Arrays.copyOf(rows, (int) seen);
        }
    }

    private static void run(OrtEnvironment env, OrtSession session, ModelProto model, List<EncodedText> batch,
                            Set<String> wanted, Map<String, float[]> max, Map<String, float[]> low,
                            Map<String, float[]> high, Map<String, Reservoir> samples)
            throws OrtException {
        int rows = batch.size();
        int seq = batch.stream().mapToInt(EncodedText::length).max().orElse(1);
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (ValueInfoProto in : model.getGraph().getInputList()) {
                if (!session.getInputNames().contains(in.getName())) {
                    continue;
                }
                long[] cells = new long[rows * seq];
                String name = in.getName().toLowerCase(Locale.ROOT);
                for (int r = 0; r < rows; r++) {
                    EncodedText t = batch.get(r);
                    for (int s = 0; s < seq; s++) {
                        boolean real = s < t.length();
                        long v;
                        if (name.contains("mask")) {
                            v = real ? 1 : 0;
                        } else if (name.contains("token_type") || name.contains("segment")) {
                            v = real ? t.typeIds()[s] : 0;
                        } else if (name.contains("position")) {
                            v = s;
                        } else {
                            v = real ? t.ids()[s] : 0;
                        }
                        cells[r * seq + s] = v;
                    }
                }
                long[] shape = {rows, seq};
                if (in.getType().getTensorType().getElemType() == DataType.INT32.getNumber()) {
                    int[] ints = new int[cells.length];
                    for (int i = 0; i < ints.length; i++) {
                        ints[i] = (int) cells[i];
                    }
                    feeds.put(in.getName(), OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape));
                } else {
                    feeds.put(in.getName(), OnnxTensor.createTensor(env, LongBuffer.wrap(cells), shape));
                }
            }
            try (OrtSession.Result result = session.run(feeds, wanted)) {
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    long[] shape = t.getInfo().getShape();
                    int channels = (int) shape[shape.length - 1];
                    FloatBuffer buf = t.getFloatBuffer();
                    float[] m = max.computeIfAbsent(e.getKey(), k -> new float[channels]);
                    float[] lo = low.computeIfAbsent(e.getKey(), k -> filled(channels, Float.POSITIVE_INFINITY));
                    float[] hi = high.computeIfAbsent(e.getKey(), k -> filled(channels, Float.NEGATIVE_INFINITY));
                    Reservoir sample = samples.computeIfAbsent(e.getKey(), k -> new Reservoir(SAMPLE_ROWS, channels));
                    int positions = buf.remaining() / channels;
                    for (int p = 0; p < positions; p++) {
                        if (shape.length == 3) {
                            int r = (int) (p / shape[1]);
                            int s = (int) (p % shape[1]);
                            if (s >= batch.get(r).length()) {
                                continue;
                            }
                        }
                        for (int c = 0; c < channels; c++) {
                            float x = buf.get(p * channels + c);
                            float v = Math.abs(x);
                            if (v > m[c]) {
                                m[c] = v;
                            }
                            lo[c] = Math.min(lo[c], x);
                            hi[c] = Math.max(hi[c], x);
                        }
                        sample.offer(buf, p * channels);
                    }
                }
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }
}
