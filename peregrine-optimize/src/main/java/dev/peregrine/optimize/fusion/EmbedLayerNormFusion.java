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
 * {@code position_ids} input. Position ids computed from the input ids ([batch, sequence], as
 * RoBERTa, XLM-R and MPNet count non-padding tokens from the padding index) are fed to the op as its
 * {@code position_ids}; a token-type lookup of constant zeros (RoBERTa's single, never-fed token type)
 * is folded into the position table. Other layouts (scaled embeddings, no positions) are left alone.
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
            if (!collectGathers(g, ln.input(0), gathers, 0) || gathers.size() > 3) {
                continue;
            }
            if (gathers.size() == 1) {
                if (g.isGraphInput(gathers.get(0).input(1))) {
                    ctx.miss(NAME, "only a token lookup feeds this LayerNorm (no position embeddings, e.g. rotary)");
                }
                continue;
            }
            Lookup word = null;
            Lookup segment = null;
            Lookup position = null;
            Lookup constantRow = null;  // a lookup of row 0 for every token (RoBERTa's unused token types)
            Lookup computedPositions = null;
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
                } else if (constantRow == null && isAllZeros(g, gather.input(1))) {
                    constantRow = l;
                } else if (computedPositions == null && isTokenGrid(ctx, gather.input(1))) {
                    computedPositions = l;
                } else {
                    ok = false;
                    break;
                }
            }
            if (ok && position == null && computedPositions != null) {
                // RoBERTa / XLM-R / MPNet: position ids computed from input_ids, fed to the op as is
                position = computedPositions;
            } else if (computedPositions != null) {
                ok = false;
            }
            if (ok && constantRow != null) {
                if (position == null || segment != null) {
                    ok = false;
                } else {
                    position = new Lookup(foldRow(g, position.table, constantRow.table), position.indices, position.rows);
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

    /**
     * True when {@code value} is a computed (non-constant) index grid of the input ids' shape
     * [batch, sequence]: position ids derived from the ids, as RoBERTa-family models compute them.
     */
    private static boolean isTokenGrid(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        if (g.isConstant(value) || g.producer(value) == null) {
            return false;
        }
        long[] shape = ctx.shape(value);
        long[] words = null;
        for (var in : g.inputs()) {
            if (in.getName().toLowerCase(Locale.ROOT).contains("input_ids")) {
                words = ctx.shape(in.getName());
            }
        }
        return shape != null && words != null && java.util.Arrays.equals(shape, words);
    }

    /** True when {@code value} is a constant of zeros, possibly sliced, reshaped or expanded. */
    private static boolean isAllZeros(OnnxGraph g, String value) {
        String current = value;
        for (int hops = 0; hops < 4; hops++) {
            Optional<TensorProto> c = g.constant(current);
            if (c.isPresent()) {
                double[] values = Constants.asDoubles(c.get());
                if (values == null || values.length == 0) {
                    return false;
                }
                for (double v : values) {
                    if (v != 0) {
                        return false;
                    }
                }
                return true;
            }
            Node n = g.producer(current);
            if (n == null || !(n.is("Expand") || n.is("Slice") || n.is("Reshape") || n.is("Unsqueeze"))) {
                return false;
            }
            current = n.input(0);
        }
        return false;
    }

    /** A new table: every row of {@code table} plus row 0 of {@code rowSource}. */
    private static String foldRow(OnnxGraph g, String table, String rowSource) {
        float[] t = Tensors.toFloats(g.constant(table).orElseThrow());
        float[] r = Tensors.toFloats(g.constant(rowSource).orElseThrow());
        long[] dims = g.constantDims(table);
        int width = (int) dims[1];
        float[] out = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = t[i] + r[i % width];
        }
        return g.addInitializer(table + "_with_type_row", Tensors.floats("t", out, dims[0], dims[1]));
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
