package dev.peregrine.optimize.fusion;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import dev.peregrine.onnx.check.Feed;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A small, deterministic input for a text model's graph: token ids, an attention mask with padding
 * in the last row, zero token types, positions 0..S-1; random normals for float inputs. Symbolic
 * dimensions get sizes by position (2 for the first, 7 for the second, 3 after; one size per
 * symbolic name) unlike any model's hidden size,
 * so that probed shapes tell dimensions apart.
 */
public final class ProbeInputs {

    private static final long[] SYMBOLIC_SIZES = {2, 7, 3, 3, 3};

    private ProbeInputs() {
    }

    /** Feeds for every graph input that is not an initializer. */
    public static Map<String, Feed> forGraph(OnnxGraph graph) {
        Map<String, Feed> feeds = new LinkedHashMap<>();
        Random random = new Random(7);
        Set<String> initializers = graph.initializers().keySet();
        Map<String, Long> named = new java.util.HashMap<>();
        for (ValueInfoProto v : graph.inputs()) {
            if (initializers.contains(v.getName())) {
                continue;
            }
            long idLimit = idLimit(graph, v.getName());
            TensorShapeProto shape = v.getType().getTensorType().getShape();
            long[] dims = new long[shape.getDimCount()];
            int symbolic = 0;
            for (int i = 0; i < dims.length; i++) {
                TensorShapeProto.Dimension d = shape.getDim(i);
                long size = SYMBOLIC_SIZES[Math.min(symbolic++, SYMBOLIC_SIZES.length - 1)];
                if (d.hasDimValue() && d.getDimValue() > 0) {
                    dims[i] = d.getDimValue();
                } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                    // The same symbolic name is the same size in every input.
                    dims[i] = named.computeIfAbsent(d.getDimParam(), k -> size);
                } else {
                    dims[i] = size;
                }
            }
            int n = 1;
            for (long d : dims) {
                n *= (int) d;
            }
            long seq = dims.length > 0 ? dims[dims.length - 1] : 1;
            String name = v.getName().toLowerCase(Locale.ROOT);
            int type = v.getType().getTensorType().getElemType();
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
                long t = i % seq;
                long row = i / seq;
                long rows = n / seq;
                if (name.contains("mask")) {
                    values[i] = row == rows - 1 && t >= seq - 2 && seq > 2 ? 0 : 1;
                } else if (name.contains("token_type") || name.contains("segment")) {
                    values[i] = 0;
                } else if (name.contains("position")) {
                    values[i] = t;
                } else {
                    values[i] = 1 + random.nextInt((int) Math.min(idLimit - 1, 2000));
                }
            }
            if (type == DataType.INT64.getNumber()) {
                feeds.put(v.getName(), Feed.longs(values, dims));
            } else if (type == DataType.INT32.getNumber()) {
                int[] ints = new int[n];
                for (int i = 0; i < n; i++) {
                    ints[i] = (int) values[i];
                }
                feeds.put(v.getName(), Feed.ints(ints, dims));
            } else if (type == DataType.FLOAT.getNumber()) {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) random.nextGaussian();
                }
                feeds.put(v.getName(), Feed.floats(f, dims));
            }
        }
        return feeds;
    }

    /** Ids must index every table the input is gathered from: the smallest table's row count. */
    private static long idLimit(OnnxGraph graph, String input) {
        long limit = 30000;
        for (Node c : graph.consumers(input)) {
            if (c.is("Gather") && c.input(1).equals(input)) {
                long[] dims = graph.constantDims(c.input(0));
                if (dims != null && dims.length > 0) {
                    limit = Math.min(limit, dims[0]);
                }
            }
        }
        return Math.max(limit, 2);
    }
}
