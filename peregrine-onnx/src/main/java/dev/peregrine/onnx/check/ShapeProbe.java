package dev.peregrine.onnx.check;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Learns the concrete shape of every value in a graph by running it once, on a small input, with
 * every intermediate value exposed as an output. Rewriters use it where a pattern is only safe for
 * some shapes (a residual Add must not broadcast, a bias must be one value per column); with input
 * dimensions chosen distinct from the model's own sizes, equal probed shapes mean equal shapes.
 *
 * <p>Runs ONNX Runtime without optimization; needs it on the class path. Stateless.
 */
public final class ShapeProbe {

    private ShapeProbe() {
    }

    /**
     * The shape of every value the graph computes, by value name; graph inputs included.
     *
     * @throws IllegalStateException when ONNX Runtime cannot load or run the graph on these feeds
     */
    public static Map<String, long[]> shapes(ModelProto model, Map<String, Feed> feeds) {
        Map<String, long[]> shapes = new HashMap<>();
        probe(model, feeds).forEach((k, v) -> shapes.put(k, v.shape()));
        return shapes;
    }

    /** What one run showed of a value: its shape and its ONNX element type. */
    public record Facts(long[] shape, int elementType) {
    }

    /**
     * The shape and element type of every value the graph computes, by value name; graph inputs
     * included.
     *
     * @throws IllegalStateException when ONNX Runtime cannot load or run the graph on these feeds
     */
    public static Map<String, Facts> probe(ModelProto model, Map<String, Feed> feeds) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> present = new HashSet<>();
        g.getOutputList().forEach(v -> present.add(v.getName()));
        for (NodeProto n : model.getGraph().getNodeList()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty() && present.add(out)) {
                    g.addOutput(ValueInfoProto.newBuilder().setName(out));
                }
            }
        }
        ModelProto probe = model.toBuilder().setGraph(g).build();
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "peregrine");
        Map<String, Facts> shapes = new HashMap<>();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            options.setIntraOpNumThreads(1);
            try (LoadedSession loaded = LoadedSession.open(env, probe, options)) {
                OrtSession session = loaded.session();
                for (Map.Entry<String, Feed> e : feeds.entrySet()) {
                    if (session.getInputNames().contains(e.getKey())) {
                        Feed f = e.getValue();
                        OnnxTensor t;
                        if (f.data() instanceof float[] v) {
                            t = OnnxTensor.createTensor(env, FloatBuffer.wrap(v), f.shape());
                        } else if (f.data() instanceof long[] v) {
                            t = OnnxTensor.createTensor(env, LongBuffer.wrap(v), f.shape());
                        } else {
                            t = OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) f.data()), f.shape());
                        }
                        inputs.put(e.getKey(), t);
                        shapes.put(e.getKey(), new Facts(f.shape().clone(), t.getInfo().onnxType.value));
                    }
                }
                try (OrtSession.Result result = session.run(inputs)) {
                    for (Map.Entry<String, OnnxValue> e : result) {
                        if (e.getValue().getInfo() instanceof TensorInfo info) {
                            shapes.put(e.getKey(), new Facts(info.getShape(), info.onnxType.value));
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot run the graph to learn its shapes: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
        return shapes;
    }
}
