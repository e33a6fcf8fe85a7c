package dev.peregrine.optimize.testing;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A one-layer BERT encoder built node by node the way PyTorch's opset-11 exporter writes it:
 * embeddings + decomposed LayerNorm; Q/K/V projections split into heads through
 * Shape/Gather/Unsqueeze/Concat/Reshape; scores divided by sqrt(head size); the additive mask
 * {@code (1 - mask) * float_min}; Softmax; the context reshaped back; dense + residual + LayerNorm;
 * an erf GELU feed-forward block; output {@code last_hidden_state}. Random weights, fixed seed.
 */
public final class TinyBert {

    public static final int VOCAB = 60;
    public static final int HIDDEN = 8;
    public static final int HEADS = 2;
    public static final int HEAD_SIZE = HIDDEN / HEADS;
    public static final int FFN = 16;
    public static final int MAX_POSITIONS = 16;

    /** How the exporter wrote a detail that fusions must handle. */
    public enum Variant {
        /** As exporters write it today. */
        STANDARD,
        /** The mask is added with a constant of -1 (not a mask a fusion may replace). */
        SMALL_MASK_CONSTANT
    }

    private final GraphBuilder g = new GraphBuilder("tiny-bert").opset("", 11);
    private final Random random = new Random(42);

    private TinyBert() {
    }

    public static ModelProto build() {
        return build(Variant.STANDARD);
    }

    public static ModelProto build(Variant variant) {
        return new TinyBert().encoder(variant);
    }

    /** Feeds for two texts of 5 tokens, the second padded after 3. */
    public static Map<String, Feed> feeds() {
        Map<String, Feed> f = new LinkedHashMap<>();
        f.put("input_ids", Feed.longs(new long[] {1, 7, 9, 30, 2, 1, 12, 2, 0, 0}, 2, 5));
        f.put("attention_mask", Feed.longs(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 2, 5));
        f.put("token_type_ids", Feed.longs(new long[] {0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, 2, 5));
        return f;
    }

    private ModelProto encoder(Variant variant) {
        g.input("input_ids", DataType.INT64, "batch", "sequence");
        g.input("attention_mask", DataType.INT64, "batch", "sequence");
        g.input("token_type_ids", DataType.INT64, "batch", "sequence");

        // additive mask
        String m1 = g.op("Unsqueeze", List.of("attention_mask"), GraphBuilder.attr("axes", new long[] {1}));
        String m2 = g.op("Unsqueeze", List.of(m1), GraphBuilder.attr("axes", new long[] {2}));
        String mf = g.op("Cast", List.of(m2), GraphBuilder.attr("to", (long) DataType.FLOAT.getNumber()));
        String inv = g.op("Sub", List.of(constant(1.0f), mf));
        float fill = variant == Variant.SMALL_MASK_CONSTANT ? -1f : -Float.MAX_VALUE;
        String mask = g.op("Mul", List.of(inv, constant(fill)));

        // embeddings
        String words = g.op("Gather", List.of(weight("word_embeddings", VOCAB, HIDDEN), "input_ids"));
        String types = g.op("Gather", List.of(weight("token_type_embeddings", 2, HIDDEN), "token_type_ids"));
        long[] positions = new long[MAX_POSITIONS];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        g.initializer(Tensors.longs("position_ids", positions, 1, MAX_POSITIONS));
        String shape = g.op("Shape", List.of("input_ids"));
        String seq = g.op("Gather", List.of(shape, constant(1L)), GraphBuilder.attr("axis", 0L));
        String seqEnd = g.op("Unsqueeze", List.of(seq), GraphBuilder.attr("axes", new long[] {0}));
        String posIds = g.op("Slice", List.of("position_ids", constant1d(0), seqEnd, constant1d(1), constant1d(1)));
        String pos = g.op("Gather", List.of(weight("position_embeddings", MAX_POSITIONS, HIDDEN), posIds));
        String sum = g.op("Add", List.of(g.op("Add", List.of(words, types)), pos));
        String hidden = layerNorm(sum, "embeddings.LayerNorm");

        // self-attention
        String q = linear(hidden, HIDDEN, HIDDEN, "query", true);
        String k = linear(hidden, HIDDEN, HIDDEN, "key", false);
        String v = linear(hidden, HIDDEN, HIDDEN, "value", false);
        String kh = g.op("Transpose", List.of(splitHeads(k)), GraphBuilder.attr("perm", new long[] {0, 2, 3, 1}));
        String vh = g.op("Transpose", List.of(splitHeads(v)), GraphBuilder.attr("perm", new long[] {0, 2, 1, 3}));
        String qh = g.op("Transpose", List.of(splitHeads(q)), GraphBuilder.attr("perm", new long[] {0, 2, 1, 3}));
        String scores = g.op("MatMul", List.of(qh, kh));
        String scaled = g.op("Div", List.of(scores, constant((float) Math.sqrt(HEAD_SIZE))));
        String masked = g.op("Add", List.of(scaled, mask));
        String probs = g.op("Softmax", List.of(masked), GraphBuilder.attr("axis", 3L));
        String context = g.op("MatMul", List.of(probs, vh));
        String back = g.op("Transpose", List.of(context), GraphBuilder.attr("perm", new long[] {0, 2, 1, 3}));
        String merged = g.op("Reshape", List.of(back, g.op("Concat", List.of(dim(back, 0), dim(back, 1),
                constant1d(HIDDEN)), GraphBuilder.attr("axis", 0L))));
        String attnOut = linear(merged, HIDDEN, HIDDEN, "attention.output.dense", true);
        String attnNorm = layerNorm(g.op("Add", List.of(attnOut, hidden)), "attention.output.LayerNorm");

        // feed-forward with erf GELU
        String inter = linear(attnNorm, HIDDEN, FFN, "intermediate.dense", true);
        String erf = g.op("Erf", List.of(g.op("Div", List.of(inter, constant(1.4142135f)))));
        String gelu = g.op("Mul", List.of(g.op("Mul", List.of(inter, g.op("Add", List.of(erf, constant(1.0f))))),
                constant(0.5f)));
        String out = linear(gelu, FFN, HIDDEN, "output.dense", true);
        String outSum = g.op("Add", List.of(out, attnNorm));
        String normed = layerNorm(outSum, "output.LayerNorm");
        g.node("Identity", List.of(normed), List.of("last_hidden_state"));
        g.output("last_hidden_state", DataType.FLOAT, "batch", "sequence", HIDDEN);
        return g.build();
    }

    /** x·W + b with the bias first, as the exporter writes the Add. */
    private String linear(String x, int in, int out, String name, boolean biasFirst) {
        String mm = g.op("MatMul", List.of(x, weight(name + ".weight", in, out)));
        String b = weight(name + ".bias", out);
        return g.op("Add", biasFirst ? List.of(b, mm) : List.of(mm, b));
    }

    /** Reshape [B,S,H] to [B,S,N,D] through the exporter's Shape/Gather/Unsqueeze/Concat. */
    private String splitHeads(String x) {
        String target = g.op("Concat", List.of(dim(x, 0), dim(x, 1), constant1d(HEADS), constant1d(HEAD_SIZE)),
                GraphBuilder.attr("axis", 0L));
        return g.op("Reshape", List.of(x, target));
    }

    private String dim(String x, long axis) {
        String shape = g.op("Shape", List.of(x));
        String d = g.op("Gather", List.of(shape, constant(axis)), GraphBuilder.attr("axis", 0L));
        return g.op("Unsqueeze", List.of(d), GraphBuilder.attr("axes", new long[] {0}));
    }

    private String layerNorm(String x, String name) {
        String mean = g.op("ReduceMean", List.of(x), GraphBuilder.attr("axes", new long[] {-1}));
        String d = g.op("Sub", List.of(x, mean));
        String var = g.op("ReduceMean", List.of(g.op("Pow", List.of(d, constant(2.0f)))),
                GraphBuilder.attr("axes", new long[] {-1}));
        String std = g.op("Sqrt", List.of(g.op("Add", List.of(var, constant(1e-12f)))));
        String y = g.op("Div", List.of(d, std));
        String gamma = g.uniqueName(name + ".weight");
        String beta = g.uniqueName(name + ".bias");
        float[] ones = new float[HIDDEN];
        float[] small = new float[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) {
            ones[i] = 1 + 0.1f * (float) random.nextGaussian();
            small[i] = 0.1f * (float) random.nextGaussian();
        }
        g.initializer(Tensors.floats(gamma, ones, HIDDEN));
        g.initializer(Tensors.floats(beta, small, HIDDEN));
        return g.op("Add", List.of(g.op("Mul", List.of(y, gamma)), beta));
    }

    private String weight(String name, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (random.nextGaussian() * 0.5);
        }
        String unique = g.uniqueName(name);
        g.initializer(Tensors.floats(unique, w, dims));
        return unique;
    }

    private String constant(float value) {
        return g.op("Constant", List.of(), GraphBuilder.attr("value", Tensors.scalar("c", value)));
    }

    private String constant(long value) {
        return g.op("Constant", List.of(), GraphBuilder.attr("value", Tensors.scalar("c", value)));
    }

    private String constant1d(long value) {
        TensorProto t = Tensors.longs("c", new long[] {value}, 1);
        return g.op("Constant", List.of(), GraphBuilder.attr("value", t));
    }
}
