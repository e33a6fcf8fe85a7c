package dev.peregrine.optimize.fusion;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Constants;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * BERT-style self-attention, as exporters write it, into one {@code com.microsoft.Attention} with
 * merged Q/K/V weights and the 2-D attention mask as {@code mask_index}:
 *
 * <pre>
 *   q = Transpose[0,2,1,3](Reshape(X·Wq + bq, [B,S,N,H]))        (likewise v)
 *   k = Transpose[0,2,3,1](Reshape(X·Wk + bk, [B,S,N,H]))        (or Transpose[0,2,1,3] then [0,1,3,2])
 *   p = Softmax(q·k / sqrt(H) + (1 - mask[:,None,None,:]) * -large)
 *   out = Reshape(Transpose[0,2,1,3](p·v), [B,S,N*H])
 * </pre>
 *
 * The scale may be a Div or a Mul, after the Q·K product or on q; the mask constant may be any large
 * negative number (-10000, or the float minimum newer exporters use, which ONNX Runtime's own
 * attention fusion does not recognize). Q, K and V must be projections of the same input with
 * constant weights. Fusing attention is also what lets the quantizer run it as {@code QAttention}.
 *
 * <p>Family variants (each pinned by an architecture fixture): DistilBERT fills masked scores instead
 * of adding to them, {@code Where(mask == 0, -large, scores)}; MPNet adds a relative position bias
 * [B,N,S,S] beside the mask, which becomes the op's {@code attention_bias} input; a softmax followed by
 * a float-to-float Cast is accepted. Rotary embeddings on Q and K (ModernBERT) are reported and left
 * alone: the CPU {@code Attention} kernel has no rotary input. torch's export of
 * {@code scaled_dot_product_attention} (transformers' SDPA path) multiplies q and k^T each by
 * {@code sqrt(1/sqrt(E))}, E read from q's shape at run time, and adds the 4-D mask
 * {@code (1 - m).masked_fill(.., -large)} of shape [B,1,S,S]; both are recognized.
 */
final class AttentionFusion {

    static final String NAME = "attention";
    private static final long[] PERM_BSNH_TO_BNSH = {0, 2, 1, 3};
    private static final long[] PERM_BSNH_TO_BNHS = {0, 2, 3, 1};
    private static final long[] PERM_SWAP_LAST = {0, 1, 3, 2};

    private AttentionFusion() {
    }

    /** One of the Q, K, V projections: input, weight, bias (or null), heads and head size. */
    private record Projection(String input, String weight, String bias, long heads, long headSize, Node matMul) {
    }

    static void apply(FusionContext ctx) {
        OnnxGraph g = ctx.graph;
        ctx.touch(NAME);
        for (Node softmax : g.nodes()) {
            if (!softmax.is("Softmax") || !softmax.domain().isEmpty()) {
                continue;
            }
            try {
                fuse(ctx, softmax);
            } catch (Miss miss) {
                ctx.miss(NAME, miss.getMessage());
            }
        }
        g.removeDeadNodes();
    }

    private static void fuse(FusionContext ctx, Node softmax) {
        OnnxGraph g = ctx.graph;
        long axis = softmax.intAttr("axis", g.opset("") >= 13 ? -1 : 1);
        if (axis != -1 && axis != 3) {
            throw new Miss("Softmax is not over the last axis");
        }
        String probs = softmax.output();
        for (int hops = 0; hops < 2; hops++) {
            // softmax(..., dtype=float32).to(float32): Casts that change nothing on float graphs
            Node cast = g.soleConsumer(probs);
            if (cast == null || !cast.is("Cast") || cast.intAttr("to", 0) != TensorProto.DataType.FLOAT_VALUE
                    || g.isGraphOutput(probs)) {
                break;
            }
            probs = cast.output();
        }
        Node contextMatMul = consumer(g, probs, "MatMul", 0);
        if (contextMatMul == null || g.consumers(probs).size() != 1) {
            throw new Miss("attention probabilities are not only multiplied by V");
        }
        Node outTranspose = consumer(g, contextMatMul.output(), "Transpose", 0);
        if (outTranspose == null || !Arrays.equals(outTranspose.intsAttr("perm"), PERM_BSNH_TO_BNSH)) {
            throw new Miss("context is not transposed back to [B,S,N,H]");
        }
        Node outReshape = consumer(g, outTranspose.output(), "Reshape", 0);
        if (outReshape == null) {
            throw new Miss("context is not reshaped to [B,S,N*H]");
        }

        // Softmax input: scores, plus an additive mask (BERT) and an attention bias (MPNet's relative
        // position bias) in any order, or scores with masked positions filled (DistilBERT's masked_fill).
        ScoreTerms terms = scoreTerms(ctx, softmax.input(0));
        ScaledProduct scores = terms.scores;
        String maskInput = terms.mask;
        String attentionBias = terms.bias;
        double scale = scores.scale;
        String qValue = scores.matMul.input(0);
        Factor qFactor = factor(ctx, qValue);
        if (qFactor != null) {
            scale *= qFactor.factor;
            qValue = qFactor.inner;
        }
        String kValue = scores.matMul.input(1);
        Factor kFactor = factor(ctx, kValue);
        if (kFactor != null) {
            scale *= kFactor.factor;
            kValue = kFactor.inner;
        }
        Projection q = projection(ctx, qValue, false);
        Projection k = projection(ctx, kValue, true);
        Projection v = projection(ctx, contextMatMul.input(1), false);
        if (terms.unexplained != null) {
            throw terms.unexplained;
        }
        if (!q.input.equals(k.input) || !q.input.equals(v.input)) {
            throw new Miss("Q, K and V are not projections of the same input");
        }
        if (q.heads != k.heads || q.heads != v.heads || q.headSize != k.headSize || q.headSize != v.headSize) {
            throw new Miss("Q, K and V are split into different head shapes");
        }
        long hidden = q.heads * q.headSize;
        long[] wq = g.constantDims(q.weight);
        long[] wk = g.constantDims(k.weight);
        long[] wv = g.constantDims(v.weight);
        if (wq[1] != hidden || wk[1] != hidden || wv[1] != hidden || wq[0] != wk[0] || wq[0] != wv[0]) {
            throw new Miss("projection weights do not match the head shapes");
        }
        if (attentionBias != null) {
            long[] b = ctx.shape(attentionBias);
            if (b == null || b[1] != q.heads || b[2] != b[3]) {
                throw new Miss("attention bias is not [batch or 1, heads, S, S]");
            }
        }
        long[] xShape = ctx.shape(q.input);
        if (xShape != null && xShape.length != 3) {
            throw new Miss("attention input is not 3-D [batch, sequence, hidden]");
        }
        long[] outShape = ctx.shape(outReshape.output());
        if (outShape != null && (outShape.length != 3 || outShape[2] != hidden)) {
            throw new Miss("attention output is not reshaped to [B,S,N*H]");
        }

        int inputHidden = (int) wq[0];
        float[] merged = mergeColumns(g, inputHidden, (int) hidden, q.weight, k.weight, v.weight);
        float[] bias = new float[(int) (3 * hidden)];
        copyBias(g, q.bias, bias, 0);
        copyBias(g, k.bias, bias, (int) hidden);
        copyBias(g, v.bias, bias, (int) (2 * hidden));
        String base = q.matMul.name().isEmpty() ? "attention" : q.matMul.name();
        String w = g.addInitializer(base + "_qkv_weight", Tensors.floats("w", merged, inputHidden, 3 * hidden));
        String b = g.addInitializer(base + "_qkv_bias", Tensors.floats("b", bias, 3 * hidden));
        List<String> inputs = new ArrayList<>(List.of(q.input, w, b));
        if (maskInput != null) {
            inputs.add(ctx.int32(maskInput));
        }
        if (attentionBias != null) {
            // inputs 3..5: mask_index, past, attention_bias
            if (maskInput == null) {
                inputs.add("");
            }
            inputs.add("");
            inputs.add(attentionBias);
        }
        List<ai.onnx.proto.OnnxMl.AttributeProto> attrs = new ArrayList<>();
        attrs.add(GraphBuilder.attr("num_heads", q.heads));
        double defaultScale = 1 / Math.sqrt(q.headSize);
        if (!Constants.near(scale, defaultScale, 1e-4)) {
            attrs.add(GraphBuilder.attr("scale", (float) scale));
        }
        String out = ctx.graph.uniqueName(outReshape.output() + "_attention");
        Node attention = ctx.contrib("Attention", inputs, List.of(out),
                attrs.toArray(new ai.onnx.proto.OnnxMl.AttributeProto[0]));
        attention.setName(g.uniqueName(scope(q.matMul.name()) + "Attention"));
        ctx.replace(outReshape.output(), out);
        ctx.fused(NAME);
    }

    /** "/encoder/layer.0/attention/self/query/MatMul" -> "/encoder/layer.0/attention/self/". */
    static String scope(String nodeName) {
        int last = nodeName.lastIndexOf('/');
        int before = last > 0 ? nodeName.lastIndexOf('/', last - 1) : -1;
        return before >= 0 ? nodeName.substring(0, before + 1) : "";
    }

    /**
     * What the Softmax reads: the scaled Q·K product, the graph's 2-D mask input (or null), a bias (or
     * null), and why a term added to the scores is neither (reported once Q and K are known to be
     * plain projections, so that a rotary embedding is named as the reason rather than its mask).
     */
    private record ScoreTerms(ScaledProduct scores, String mask, String bias, Miss unexplained) {
    }

    private static ScoreTerms scoreTerms(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        Node where = g.producer(value);
        if (where != null && where.is("Where")) {
            // masked_fill(mask == 0, large negative): Where(condition, fill, scores)
            Optional<Double> fill = g.scalar(where.input(1));
            if (fill.isEmpty() || fill.get() > -1000) {
                throw new Miss("masked scores are not filled with a large negative constant");
            }
            ScaledProduct scores = scaledProduct(g, where.input(2));
            if (scores == null) {
                throw new Miss("masked value is not a (scaled) Q·K product");
            }
            return new ScoreTerms(scores, maskFromCondition(ctx, where.input(0)), null, null);
        }
        List<String> leaves = new ArrayList<>();
        addLeaves(g, value, leaves, 0);
        ScaledProduct scores = null;
        String mask = null;
        String bias = null;
        Miss maskMiss = null;
        Miss unexplained = null;
        for (String leaf : leaves) {
            ScaledProduct p = scaledProduct(g, leaf);
            if (p != null && scores == null) {
                scores = p;
                continue;
            }
            try {
                String m = maskSource(ctx, leaf);
                if (mask != null) {
                    throw new Miss("two masks are added to the scores");
                }
                mask = m;
                continue;
            } catch (Miss miss) {
                maskMiss = miss;
            }
            long[] shape = ctx.shape(leaf);
            // A bias has a row per head and per query; a mask that is not ours is broadcast over them.
            if (bias == null && !g.isConstant(leaf) && shape != null && shape.length == 4 && shape[1] > 1
                    && shape[2] == shape[3]) {
                bias = leaf;
                continue;
            }
            unexplained = maskMiss;
        }
        if (scores == null) {
            throw new Miss("Softmax input is not a (scaled) Q·K product plus a mask");
        }
        return new ScoreTerms(scores, mask, bias, unexplained);
    }

    /** The operands of a tree of Adds (at most two levels: scores + bias + mask). */
    private static void addLeaves(OnnxGraph g, String value, List<String> into, int depth) {
        Node n = g.producer(value);
        if (depth < 2 && n != null && n.is("Add") && scaledProduct(g, value) == null
                && !g.isConstant(n.input(0)) && !g.isConstant(n.input(1))) {
            addLeaves(g, n.input(0), into, depth + 1);
            addLeaves(g, n.input(1), into, depth + 1);
        } else {
            into.add(value);
        }
    }

    /**
     * The graph input behind a boolean "masked" condition {@code (mask == 0)} viewed as [B,1,1,S] and
     * expanded to the scores' shape, or a Miss.
     */
    private static String maskFromCondition(FusionContext ctx, String condition) {
        OnnxGraph g = ctx.graph;
        String current = condition;
        String broadcast = null;
        int hops = 0;
        Node n = g.producer(current);
        while (n != null && (n.is("Expand") || n.is("Reshape") || n.is("Unsqueeze") || n.is("Cast")) && ++hops <= 6) {
            if (n.is("Expand")) {
                broadcast = n.input(0);  // the mask as viewed before expansion to the scores' shape
            }
            current = n.input(0);
            n = g.producer(current);
        }
        if (n == null || !n.is("Equal") || !LayerNormFusion.isValue(g, n.input(1), 0.0)) {
            throw new Miss("masked_fill condition is not (mask == 0)");
        }
        current = n.input(0);
        hops = 0;
        while (!g.isGraphInput(current)) {
            Node c = g.producer(current);
            if (c == null || !c.is("Cast") || ++hops > 2) {
                throw new Miss("mask does not come from a graph input");
            }
            current = c.input(0);
        }
        long[] raw = ctx.shape(current);
        long[] viewed = ctx.shape(broadcast == null ? condition : broadcast);
        if (raw == null || viewed == null) {
            throw new Miss("mask shape unknown (shape probe failed)");
        }
        if (raw.length != 2 || viewed.length != 4 || viewed[1] != 1 || viewed[2] != 1 || viewed[3] != raw[1]) {
            throw new Miss("mask is not a [batch, sequence] input broadcast as [B,1,1,S]");
        }
        return current;
    }

    /** A Q·K MatMul and the constant factor applied to its result (1 when none). */
    private record ScaledProduct(Node matMul, double scale) {
    }

    private static ScaledProduct scaledProduct(OnnxGraph g, String value) {
        Node n = g.producer(value);
        if (n == null) {
            return null;
        }
        if (n.is("MatMul")) {
            return new ScaledProduct(n, 1);
        }
        if (n.is("Div") || n.is("Mul")) {
            Optional<Double> c = g.scalar(n.input(1));
            String data = n.input(0);
            if (c.isEmpty() && n.is("Mul")) {
                c = g.scalar(n.input(0));
                data = n.input(1);
            }
            Node mm = g.producer(data);
            if (c.isPresent() && mm != null && mm.is("MatMul")) {
                return new ScaledProduct(mm, n.is("Div") ? 1 / c.get() : c.get());
            }
        }
        return null;
    }

    /**
     * The graph input behind an additive mask {@code (1 - mask[:,None,None,:]) * -large}, or a Miss.
     */
    private static String maskSource(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        Node mul = g.producer(value);
        Node sub;
        if (mul != null && mul.is("Where")) {
            // transformers' mask for SDPA: inv = 1 - mask; inv.masked_fill(inv.to(bool), -large)
            Optional<Double> fill = g.scalar(mul.input(1));
            if (fill.isEmpty() || fill.get() > -1000) {
                throw new Miss("mask fill value is not a large negative constant");
            }
            sub = g.producer(mul.input(2));
            String cond = mul.input(0);
            for (int hops = 0; hops < 2 && g.producer(cond) != null && g.producer(cond).is("Cast"); hops++) {
                cond = g.producer(cond).input(0);
            }
            if (sub == null || !cond.equals(sub.output())) {
                throw new Miss("mask is not (1 - mask) filled where set");
            }
        } else {
            if (mul == null || !mul.is("Mul")) {
                throw new Miss("mask is not (1 - mask) * constant");
            }
            int constAt = g.scalar(mul.input(1)).isPresent() ? 1 : 0;
            Optional<Double> large = g.scalar(mul.input(constAt));
            if (large.isEmpty() || large.get() > -1000) {
                throw new Miss("mask fill value is not a large negative constant");
            }
            sub = g.producer(mul.input(1 - constAt));
        }
        if (sub == null || !sub.is("Sub") || !LayerNormFusion.isValue(g, sub.input(0), 1.0)) {
            throw new Miss("mask is not (1 - mask) * constant");
        }
        String current = sub.input(1);
        int hops = 0;
        while (!g.isGraphInput(current)) {
            Node n = g.producer(current);
            if (n == null || !(n.is("Cast") || n.is("Unsqueeze") || n.is("Reshape") || n.is("Expand")) || ++hops > 6) {
                throw new Miss("mask does not come from a graph input through Cast/Unsqueeze");
            }
            current = n.input(0);
        }
        long[] expanded = ctx.shape(value);
        long[] raw = ctx.shape(current);
        if (expanded == null || raw == null) {
            throw new Miss("mask shape unknown (shape probe failed)");
        }
        // [B,1,1,S], or the same row repeated for every query, [B,1,S,S] (transformers' 4-D mask)
        if (raw.length != 2 || expanded.length != 4 || expanded[1] != 1 || (expanded[2] != 1 && expanded[2] != raw[1])
                || expanded[3] != raw[1]) {
            throw new Miss("mask is not a [batch, sequence] input broadcast as [B,1,1,S]");
        }
        return current;
    }

    /** A factor applied to Q or K before their product: the value it scales, and by how much. */
    private record Factor(String inner, double factor) {
    }

    /**
     * {@code x / c} or {@code x * c} with a scalar constant c, or {@code x * sqrt(1 / sqrt(E))} with E
     * the last dimension of a tensor, read from its shape at run time (how torch's exporter writes
     * scaled_dot_product_attention's default scale); null otherwise.
     */
    private static Factor factor(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        Node n = g.producer(value);
        if (n == null || !(n.is("Div") || n.is("Mul"))) {
            return null;
        }
        Optional<Double> c = g.scalar(n.input(1));
        if (c.isPresent() && !g.isConstant(n.input(0))) {
            return new Factor(n.input(0), n.is("Div") ? 1 / c.get() : c.get());
        }
        if (n.is("Mul")) {
            for (int i = 0; i < 2; i++) {
                Optional<Double> r = sqrtOfShapeScale(ctx, n.input(1 - i));
                if (r.isPresent()) {
                    return new Factor(n.input(i), r.get());
                }
            }
        }
        return null;
    }

    /** sqrt(1 / sqrt(Cast(Slice(Shape(x), -1)))), from x's probed shape; empty for anything else. */
    private static Optional<Double> sqrtOfShapeScale(FusionContext ctx, String value) {
        OnnxGraph g = ctx.graph;
        Node sqrt = g.producer(value);
        if (sqrt == null || !sqrt.is("Sqrt")) {
            return Optional.empty();
        }
        Node div = skipCasts(g, sqrt.input(0));
        if (div == null || !div.is("Div") || !LayerNormFusion.isValue(g, div.input(0), 1.0)) {
            return Optional.empty();
        }
        Node innerSqrt = g.producer(div.input(1));
        if (innerSqrt == null || !innerSqrt.is("Sqrt")) {
            return Optional.empty();
        }
        Node slice = skipCasts(g, innerSqrt.input(0));
        if (slice == null || !slice.is("Slice") || !LayerNormFusion.isValue(g, slice.input(1), -1)) {
            return Optional.empty();
        }
        Node shape = g.producer(slice.input(0));
        long[] dims = shape == null || !shape.is("Shape") ? null : ctx.shape(shape.input(0));
        if (dims == null || dims.length == 0 || dims[dims.length - 1] <= 0) {
            return Optional.empty();
        }
        return Optional.of(Math.sqrt(1 / Math.sqrt(dims[dims.length - 1])));
    }

    private static Node skipCasts(OnnxGraph g, String value) {
        Node n = g.producer(value);
        for (int hops = 0; n != null && n.is("Cast") && hops < 2; hops++) {
            n = g.producer(n.input(0));
        }
        return n;
    }

    /**
     * Follows a Q, K or V operand of the attention MatMuls back to its linear projection:
     * Transpose(Reshape(Add(MatMul(x, W), b))).
     */
    private static Projection projection(FusionContext ctx, String value, boolean key) {
        OnnxGraph g = ctx.graph;
        Node t = g.producer(value);
        if (t != null && t.is("Add") && isProduct(g, t.input(0)) && isProduct(g, t.input(1))) {
            // q * cos + rotate_half(q) * sin
            throw new Miss("rotary position embedding (RoPE) is applied to Q and K; "
                    + "com.microsoft.Attention has no rotary input on CPU");
        }
        if (t == null || !t.is("Transpose")) {
            throw new Miss("Q/K/V operand is not a Transpose");
        }
        long[] perm = t.intsAttr("perm");
        if (key && Arrays.equals(perm, PERM_SWAP_LAST)) {
            t = g.producer(t.input(0));
            if (t == null || !t.is("Transpose")) {
                throw new Miss("K is not transposed from [B,S,N,H]");
            }
            perm = t.intsAttr("perm");
            if (!Arrays.equals(perm, PERM_BSNH_TO_BNSH)) {
                throw new Miss("K is not transposed from [B,S,N,H]");
            }
        } else if (!Arrays.equals(perm, key ? PERM_BSNH_TO_BNHS : PERM_BSNH_TO_BNSH)) {
            throw new Miss((key ? "K" : "Q/V") + " transpose has an unexpected permutation " + Arrays.toString(perm));
        }
        Node reshape = g.producer(t.input(0));
        if (reshape == null || !reshape.is("Reshape")) {
            throw new Miss("Q/K/V is not reshaped into heads");
        }
        long[] heads = headShape(ctx, reshape);
        Node add = g.producer(reshape.input(0));
        String bias = null;
        Node mm = add;
        if (add != null && add.is("Add")) {
            int biasAt = -1;
            for (int i = 0; i < 2; i++) {
                long[] d = g.constantDims(add.input(i));
                if (d != null && d.length == 1) {
                    biasAt = i;
                }
            }
            if (biasAt < 0) {
                throw new Miss("projection bias is not a 1-D constant");
            }
            bias = add.input(biasAt);
            mm = g.producer(add.input(1 - biasAt));
        }
        if (mm == null || !mm.is("MatMul")) {
            throw new Miss("Q/K/V is not a MatMul projection");
        }
        long[] w = g.constantDims(mm.input(1));
        if (w == null || w.length != 2 || g.constant(mm.input(1)).get().getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new Miss("projection weight is not a constant float matrix");
        }
        if (bias != null && g.constantDims(bias)[0] != w[1]) {
            throw new Miss("projection bias length differs from the weight's columns");
        }
        return new Projection(mm.input(0), mm.input(1), bias, heads[0], heads[1], mm);
    }

    private static boolean isProduct(OnnxGraph g, String value) {
        Node n = g.producer(value);
        return n != null && n.is("Mul");
    }

    /** {heads, head size} from a Reshape to [B, S, N, H] (a constant shape or a Concat of parts). */
    private static long[] headShape(FusionContext ctx, Node reshape) {
        OnnxGraph g = ctx.graph;
        String shapeValue = reshape.input(1);
        Optional<TensorProto> constShape = g.constant(shapeValue);
        if (constShape.isPresent()) {
            double[] d = Constants.asDoubles(constShape.get());
            if (d != null && d.length == 4 && d[2] > 0 && d[3] > 0) {
                return new long[] {(long) d[2], (long) d[3]};
            }
            throw new Miss("head reshape target is not [B,S,N,H]");
        }
        Node concat = g.producer(shapeValue);
        if (concat != null && concat.is("Concat") && concat.inputCount() == 4) {
            Optional<Double> n = g.scalar(concat.input(2));
            Optional<Double> h = g.scalar(concat.input(3));
            if (n.isPresent() && h.isPresent() && n.get() > 0 && h.get() > 0) {
                return new long[] {(long) (double) n.get(), (long) (double) h.get()};
            }
        }
        long[] probed = ctx.shape(reshape.output());
        if (probed != null && probed.length == 4) {
            return new long[] {probed[2], probed[3]};
        }
        throw new Miss("number of heads not found in the reshape target");
    }

    /** The consumer of {@code value} of type {@code opType} that reads it as input {@code at}. */
    static Node consumer(OnnxGraph g, String value, String opType, int at) {
        Node found = null;
        for (Node c : g.consumers(value)) {
            if (c.is(opType) && c.input(at).equals(value)) {
                if (found != null) {
                    return null;
                }
                found = c;
            }
        }
        return found;
    }

    private static float[] mergeColumns(OnnxGraph g, int rows, int cols, String... weights) {
        float[] out = new float[rows * cols * weights.length];
        int width = cols * weights.length;
        for (int w = 0; w < weights.length; w++) {
            float[] src = Tensors.toFloats(g.constant(weights[w]).orElseThrow());
            for (int r = 0; r < rows; r++) {
                System.arraycopy(src, r * cols, out, r * width + w * cols, cols);
            }
        }
        return out;
    }

    private static void copyBias(OnnxGraph g, String bias, float[] into, int at) {
        if (bias != null) {
            float[] b = Tensors.toFloats(g.constant(bias).orElseThrow());
            System.arraycopy(b, 0, into, at, b.length);
        }
    }

    /** A candidate that does not match, with the reason for the report. */
    private static final class Miss extends RuntimeException {
        Miss(String reason) {
            super(reason, null, false, false);
        }
    }
}
