package dev.peregrine.optimize.fusion;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Constants;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * BERT's embedding layer, {@code LayerNorm(word[ids] + position[0..S) + segment[type ids])}, into
 * {@code com.microsoft.EmbedLayerNormalization} (ids cast to int32 once). The position lookup must
 * be a Gather of rows 0..S-1: a Slice of a constant {@code arange} (the usual export) or a
 * {@code position_ids} input. Other embedding layouts (learned offsets, scaled embeddings) are left
 * as they are.
 */
final class EmbedLayerNormFusion {

    static final String NAME = "embed-layer-norm";

    private EmbedLayerNormFusion() {
    }

    /** One embedding lookup: the table and the indices. */
    private record Lookup(String table, String indices, long rows) {
    }

    static void apply(FusionContext ctx) {
        OnnxGraph g = ctx.graph;
        ctx.touch(NAME);
        for (Node ln : g.nodes()) {
            if (!ln.is("LayerNormalization") || !ln.domain().isEmpty()) {
                continue;
            }
            List<Node> gathers = new ArrayList<>();
            if (!collectGathers(g, ln.input(0), gathers, 0) || gathers.size() < 2 || gathers.size() > 3) {
                continue;
            }
            Lookup word = null;
            Lookup segment = null;
            Lookup position = null;
            boolean ok = true;
            for (Node gather : gathers) {
                long[] dims = g.constantDims(gather.input(0));
                if (dims == null || dims.length != 2 || gather.intAttr("axis", 0) != 0) {
                    ok = false;
                    break;
                }
                Lookup l = new Lookup(gather.input(0), gather.input(1), dims[0]);
                String idx = gather.input(1).toLowerCase(Locale.ROOT);
                if (g.isGraphInput(gather.input(1)) && (idx.contains("token_type") || idx.contains("segment"))) {
                    segment = l;
                } else if (g.isGraphInput(gather.input(1)) && idx.contains("position")) {
                    position = l;
                } else if (g.isGraphInput(gather.input(1))) {
                    word = word == null || word.rows < l.rows ? l : word;
                } else if (isArangePositions(ctx, gather.input(1))) {
                    position = new Lookup(l.table, "", l.rows);
                } else {
                    ok = false;
                    break;
                }
            }
            if (!ok || word == null || position == null) {
                ctx.miss(NAME, "embedding sum is not word + position (+ segment) lookups");
                continue;
            }
            long[] outShape = ctx.shape(ln.input(0));
            if (outShape == null || outShape.length != 3) {
                ctx.miss(NAME, "embedding shape unknown or not 3-D");
                continue;
            }
            String beta = ln.input(2);
            if (beta.isEmpty()) {
                long hidden = g.constantDims(ln.input(1))[0];
                beta = g.addInitializer(ln.name() + "_beta", Tensors.floats("b", new float[(int) hidden], hidden));
            }
            List<String> inputs = new ArrayList<>();
            inputs.add(ctx.int32(word.indices));
            inputs.add(segment == null ? "" : ctx.int32(segment.indices));
            inputs.add(word.table);
            inputs.add(position.table);
            inputs.add(segment == null ? "" : segment.table);
            inputs.add(ln.input(1));
            inputs.add(beta);
            if (!position.indices.isEmpty()) {
                inputs.add("");
                inputs.add(ctx.int32(position.indices));
            }
            String out = g.uniqueName(ln.output() + "_embed");
            // ONNX Runtime's shape inference wants the mask_index output declared even when unused.
            String maskIndex = g.uniqueName(out + "_mask_index");
            ctx.contrib("EmbedLayerNormalization", inputs, List.of(out, maskIndex),
                    GraphBuilder.attr("epsilon", ln.floatAttr("epsilon", 1e-5f)));
            ctx.replace(ln.output(), out);
            ctx.fused(NAME);
        }
        g.removeDeadNodes();
    }

    /** Collects the Gather leaves of a tree of Adds (depth at most 3); false on any other leaf. */
    private static boolean collectGathers(OnnxGraph g, String value, List<Node> into, int depth) {
        Node n = g.producer(value);
        if (n == null || depth > 3) {
            return false;
        }
        if (n.is("Gather")) {
            into.add(n);
            return true;
        }
        if (n.is("Add")) {
            return collectGathers(g, n.input(0), into, depth + 1) && collectGathers(g, n.input(1), into, depth + 1);
        }
        return false;
    }

    /** True when {@code value} is rows 0..S-1 of a constant arange (a Slice from 0, or the constant itself). */
    private static boolean isArangePositions(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        Node slice = g.producer(value);
        String data;
        if (slice != null && slice.is("Slice")) {
            Optional<Double> start = g.scalar(slice.input(1));
            if (start.isEmpty() || start.get() != 0) {
                return false;
            }
            if (!slice.input(4).isEmpty() && g.scalar(slice.input(4)).map(s -> s != 1).orElse(true)) {
                return false;
            }
            data = slice.input(0);
        } else {
            data = value;
        }
        Optional<TensorProto> c = g.constant(data);
        if (c.isEmpty()) {
            return false;
        }
        double[] values = Constants.asDoubles(c.get());
        if (values == null) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] != i) {
                return false;
            }
        }
        long[] shape = ctx.shape(value);
        long[] words = null;
        for (var in : g.inputs()) {
            if (in.getName().toLowerCase(Locale.ROOT).contains("input_ids")) {
                words = ctx.shape(in.getName());
            }
        }
        // The lookup must cover exactly the sequence: [1, S] or [S].
        return shape != null && words != null && shape[shape.length - 1] == words[words.length - 1]
                && (shape.length == 1 || shape[0] == 1);
    }
}
