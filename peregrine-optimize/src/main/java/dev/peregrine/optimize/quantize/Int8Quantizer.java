package dev.peregrine.optimize.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Dynamic INT8 quantization of a graph's weights, in the operators ONNX Runtime runs fastest on CPU:
 *
 * <ul>
 *   <li>{@code MatMul} / {@code Gemm} with a constant float weight become
 *       {@code com.microsoft.DynamicQuantizeMatMul} (the activation is quantized to uint8 inside the
 *       op), with a following constant bias Add folded in. Several such MatMuls reading the same
 *       activation share one {@code DynamicQuantizeLinear} and become {@code MatMulIntegerToFloat}.</li>
 *   <li>Fused {@code com.microsoft.Attention} becomes {@code QAttention} after one
 *       {@code DynamicQuantizeLinear} of its input: Q, K and V projections run as int8 GEMMs.</li>
 * </ul>
 *
 * Weights are symmetric int8 (zero point 0), per matrix or per output column; activations are
 * uint8 with a zero point, computed at run time: the u8s8 form that AVX-512 VNNI runs natively.
 * LayerNorm, Softmax, GELU and the embedding tables stay in float. A weight shared by several nodes
 * is quantized once. A MatMul whose weight is not a constant is left alone. With calibration
 * activations and {@link Smoothing} on, LayerNorm outputs are divided by per-channel factors (one
 * Mul) that the weights absorb, before they are quantized.
 *
 * <p>With fixed (calibrated) ranges instead, see {@link StaticInt8Quantizer}: each activation gets one
 * {@code QuantizeLinear} with constant scale and zero point, the MatMuls become
 * {@code MatMulIntegerToFloat} and {@code QAttention} reads the same constants.
 *
 * <p>Stateless and thread-safe.
 */
public final class Int8Quantizer {

    static final String MS = "com.microsoft";
    /** Auto smoothing must bring a product's simulated error below this fraction of the unsmoothed one. */
    static final double AUTO_MIN_GAIN = 0.8;

    private Int8Quantizer() {
    }

    /** The quantized model and what was done. */
    public record Result(ModelProto model, QuantizeReport report) {
    }

    /**
     * Quantizes; the result is loaded in ONNX Runtime before it is returned.
     *
     * @throws dev.peregrine.onnx.OnnxFormatException when ONNX Runtime refuses the result (a bug)
     */
    public static Result quantize(ModelProto model, QuantizeOptions options) {
        return quantize(model, options, null);
    }

    /**
     * Quantizes, smoothing activations with calibration ranges when {@link QuantizeOptions#smoothing()}
     * is on and {@code stats} covers a product's input.
     *
     * @param stats calibration ranges of the inputs of quantizable products (see {@link #inputsToCalibrate}),
     *              or null
     */
    public static Result quantize(ModelProto model, QuantizeOptions options, ActivationStats stats) {
        return quantize(model, options, stats, QuantMode.INT8_DYNAMIC);
    }

    /**
     * Quantizes with activations quantized at run time ({@link QuantMode#INT8_DYNAMIC}) or with the fixed
     * ranges {@code stats} calibrated ({@link QuantMode#INT8_STATIC}, see {@link StaticInt8Quantizer}).
     */
    static Result quantize(ModelProto model, QuantizeOptions options, ActivationStats stats, QuantMode mode) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        if (mode != QuantMode.INT8_DYNAMIC && mode != QuantMode.INT8_STATIC) {
            throw new IllegalArgumentException("not an int8 mode: " + mode);
        }
        Rewrite r = new Rewrite(OnnxGraph.of(model), options, stats, mode == QuantMode.INT8_STATIC);
        r.run();
        ModelProto out = r.g.toModel();
        OrtCheck.load(out);
        QuantizeReport report = new QuantizeReport(mode, r.converted, r.emitted, r.skipped,
                r.excluded, bytes(model), bytes(out), r.smoothedStrength);
        return new Result(out, report);
    }

    /**
     * The activations the products this quantizer would convert read: what a calibration run should
     * observe for smoothing.
     */
    public static List<String> inputsToCalibrate(ModelProto model, QuantizeOptions options) {
        OnnxGraph g = OnnxGraph.of(model);
        List<String> out = new ArrayList<>();
        for (Node n : candidates(g, options, new ArrayList<>())) {
            if (!out.contains(n.input(0)) && !g.isConstant(n.input(0)) && g.isConstant(n.input(1))) {
                out.add(n.input(0));
            }
        }
        return out;
    }

    /**
     * The names of the nodes this quantizer would convert (products with a constant weight, fused
     * attention), in graph order: what {@link QuantizeOptions#exclude()} can keep in float.
     */
    public static List<String> productNames(ModelProto model, QuantizeOptions options) {
        OnnxGraph g = OnnxGraph.of(model);
        List<String> out = new ArrayList<>();
        for (Node n : candidates(g, options, new ArrayList<>())) {
            if (g.isConstant(n.input(1)) && !g.isConstant(n.input(0))) {
                out.add(n.name());
            }
        }
        return out;
    }

    /** MatMul, Gemm and (with attention on) Attention nodes not excluded; excluded names are collected. */
    private static List<Node> candidates(OnnxGraph g, QuantizeOptions options, List<String> excluded) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean candidate = (n.is("MatMul") || n.is("Gemm")) && n.domain().isEmpty()
                    || n.is("Attention") && n.domain().equals(MS) && options.attention();
            if (!candidate) {
                continue;
            }
            if (options.excludes(n.name())) {
                excluded.add(n.name());
                continue;
            }
            out.add(n);
        }
        return out;
    }

    static long bytes(ModelProto m) {
        long total = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            total += t.getRawData().size() + 4L * t.getFloatDataCount() + 8L * t.getInt64DataCount()
                    + 4L * t.getInt32DataCount();
        }
        return total;
    }

    /** One quantization pass over one graph. */
    private static final class Rewrite {
        final OnnxGraph g;
        final QuantizeOptions options;
        final Map<String, Integer> converted = new TreeMap<>();
        final Map<String, Integer> emitted = new TreeMap<>();
        final Map<String, Integer> skipped = new TreeMap<>();
        final List<String> excluded = new ArrayList<>();
        /** Quantized weights by source initializer (and layout). */
        final Map<String, String[]> weights = new HashMap<>();
        /** DynamicQuantizeLinear outputs {q, scale, zero point} by activation. */
        final Map<String, String[]> activations = new HashMap<>();

        final ActivationStats stats;
        /** Activations quantized with calibrated fixed ranges (QuantizeLinear) instead of per run. */
        final boolean fixedRanges;
        /** Per smoothed value x / s: the factors s it was divided by. */
        final Map<String, float[]> smoothedBy = new HashMap<>();
        /** Per product: its input's name in the source graph, which calibration observed (rewriting renames). */
        final Map<Node, String> observedInput = new java.util.IdentityHashMap<>();
        /** Per product: the smoothing factors s of its input (x is divided, weight rows multiplied). */
        final Map<Node, float[]> smoothing = new java.util.IdentityHashMap<>();
        final Map<String, Double> smoothedStrength = new TreeMap<>();
        /** Products whose input other products also read (they share one quantization). */
        final Set<Node> sharing = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        /** Per input activation: the smoothed value x / s fed to the quantized products. */
        final Map<String, String> smoothed = new HashMap<>();

        Rewrite(OnnxGraph g, QuantizeOptions options, ActivationStats stats, boolean fixedRanges) {
            this.g = g;
            this.options = options;
            this.stats = stats;
            this.fixedRanges = fixedRanges;
        }

        void run() {
            List<Node> attentions = new ArrayList<>();
            List<Node> matMuls = new ArrayList<>();
            for (Node n : candidates(g, options, excluded)) {
                if (n.is("Attention")) {
                    if (acceptAttention(n)) {
                        attentions.add(n);
                    }
                } else if (acceptMatMul(n)) {
                    matMuls.add(n);
                }
            }
            // Products that read the same activation share its smoothing and its quantization.
            Map<String, List<Node>> readers = new LinkedHashMap<>();
            for (Node n : attentions) {
                readers.computeIfAbsent(n.input(0), k -> new ArrayList<>()).add(n);
            }
            for (Node n : matMuls) {
                readers.computeIfAbsent(n.input(0), k -> new ArrayList<>()).add(n);
            }
            // Decide per node now: rewriting renames the values later products read.
            readers.forEach((x, products) -> {
                products.forEach(p -> observedInput.put(p, x));
                if (products.size() > 1) {
                    sharing.addAll(products);
                }
                if (options.smoothing().enabled() && stats != null) {
                    planSmoothing(x, products);
                }
            });
            for (Node n : attentions) {
                attention(n);
            }
            for (Node n : matMuls) {
                matMul(n, sharing.contains(n));
            }
            g.removeDeadNodes();
        }

        /**
         * Chooses the smoothing of one activation x and the products reading it: the fixed strength,
         * or (auto) the candidate whose simulated products are closest to float on the calibration
         * sample, kept only when it cuts the error by at least {@link #AUTO_MIN_GAIN}.
         */
        private void planSmoothing(String x, List<Node> products) {
            float[] xMax = stats.of(x).orElse(null);
            if (xMax == null || !normalized(x)) {
                return;
            }
            List<float[]> ws = new ArrayList<>();
            List<Integer> widths = new ArrayList<>();
            for (Node n : products) {
                boolean transB = n.is("Gemm") && n.intAttr("transB", 0) != 0;
                TensorProto t = g.constant(n.input(1)).orElseThrow();
                int rows = (int) t.getDims(0);
                int cols = (int) t.getDims(1);
                float[] w = Tensors.toFloats(t);
                if (transB) {
                    w = transpose(w, rows, cols);
                    int swap = rows;
                    rows = cols;
                    cols = swap;
                }
                if (rows != xMax.length) {
                    return;
                }
                ws.add(w);
                widths.add(cols);
            }
            float[] wMax = new float[xMax.length];
            for (int i = 0; i < ws.size(); i++) {
                float[] w = ws.get(i);
                int cols = widths.get(i);
                for (int r = 0; r < xMax.length; r++) {
                    for (int c = 0; c < cols; c++) {
                        wMax[r] = Math.max(wMax[r], Math.abs(w[r * cols + c]));
                    }
                }
            }
            Smoothing mode = options.smoothing();
            float[] chosen;
            double strength = mode.alpha();
            if (mode.mode() == Smoothing.Mode.FIXED) {
                chosen = factors(xMax, wMax, mode.alpha());
            } else {
                float[][] sample = stats.sample(x).orElse(null);
                if (sample == null || sample.length == 0) {
                    return;
                }
                List<float[][]> refs = new ArrayList<>();
                for (int i = 0; i < ws.size(); i++) {
                    refs.add(ProductSimulator.reference(sample, ws.get(i), xMax.length, widths.get(i)));
                }
                double plain = Double.NaN;
                double best = Double.POSITIVE_INFINITY;
                chosen = null;
                for (double alpha : Smoothing.AUTO_CANDIDATES) {
                    float[] s = alpha == 0 ? null : factors(xMax, wMax, alpha);
                    double err = 0;
                    for (int i = 0; i < ws.size(); i++) {
                        err += ProductSimulator.error(sample, ws.get(i), xMax.length, widths.get(i), s, refs.get(i),
                                options.perChannel(), options.reduceRange());
                    }
                    if (alpha == 0) {
                        plain = err;
                    } else if (err < best) {
                        best = err;
                        chosen = s;
                        strength = alpha;
                    }
                }
                if (!(best < plain * AUTO_MIN_GAIN)) {
                    return;
                }
            }
            for (Node n : products) {
                smoothing.put(n, chosen);
            }
            smoothedStrength.put(x, strength);
        }

        /**
         * True when x comes straight out of a layer normalization: that is where transformers keep
         * their outlier channels (the LayerNorm scale makes a few channels 10-20x the median).
         * Smoothing other activations (GELU, attention outputs) lowers each product's own error but
         * not the model's: measured on all-MiniLM-L6-v2, LayerNorm outputs only gave mean cosine
         * 0.993 against 0.988 for every product.
         */
        private boolean normalized(String x) {
            Node p = g.producer(x);
            return p != null && (p.is("LayerNormalization") || p.is("SkipLayerNormalization")
                    || p.is("EmbedLayerNormalization") || p.is("SimplifiedLayerNormalization"));
        }

        private static float[] factors(float[] xMax, float[] wMax, double alpha) {
            float[] s = new float[xMax.length];
            for (int j = 0; j < s.length; j++) {
                double v = xMax[j] > 0 && wMax[j] > 0 ? Math.pow(xMax[j], alpha) / Math.pow(wMax[j], 1 - alpha) : 1;
                s[j] = (float) Math.max(1e-4, Math.min(1e4, v));
            }
            return s;
        }

        /** The activation a product should read: its input x, or x / s when x is smoothed. */
        private String input(Node product) {
            String x = product.input(0);
            float[] s = smoothing.get(product);
            if (s == null) {
                return x;
            }
            return smoothed.computeIfAbsent(x, v -> {
                float[] inv = new float[s.length];
                for (int j = 0; j < s.length; j++) {
                    inv[j] = 1 / s[j];
                }
                String factor = g.addInitializer(v + "_smooth", Tensors.floats("s", inv, inv.length));
                String out = g.uniqueName(v + "_smoothed");
                Node mul = g.addNode("Mul", List.of(v, factor), List.of(out));
                mul.setName(g.uniqueName(v + "_Smooth"));
                emitted.merge("Mul (smoothing)", 1, Integer::sum);
                smoothedBy.put(out, s);
                return out;
            });
        }

        private boolean acceptMatMul(Node n) {
            if (g.isConstant(n.input(0))) {
                skip("MatMul/Gemm with a constant first input");
                return false;
            }
            TensorProto w = g.constant(n.input(1)).orElse(null);
            if (w == null) {
                skip("MatMul/Gemm whose weight is not a constant");
                return false;
            }
            if (w.getDataType() != TensorProto.DataType.FLOAT_VALUE || w.getDimsCount() != 2) {
                skip("MatMul/Gemm whose weight is not a 2-D float matrix");
                return false;
            }
            if (n.is("Gemm") && (n.intAttr("transA", 0) != 0 || n.floatAttr("alpha", 1f) != 1f)) {
                skip("Gemm with transA or alpha");
                return false;
            }
            return calibrated(n);
        }

        /** With fixed ranges, only products whose input calibration observed can be quantized. */
        private boolean calibrated(Node n) {
            if (fixedRanges && (stats == null || stats.range(n.input(0)).isEmpty())) {
                skip(n.opType() + " whose input has no calibrated range");
                return false;
            }
            return true;
        }

        private void matMul(Node n, boolean shareActivation) {
            boolean transB = n.is("Gemm") && n.intAttr("transB", 0) != 0;
            String[] w = weight(n.input(1), transB, smoothing.get(n));
            String x = input(n);
            long cols = Long.parseLong(w[2]);
            String bias = "";
            String output = n.output();
            Node replaced = null;
            if (n.is("Gemm") && !n.input(2).isEmpty()) {
                bias = gemmBias(n, cols);
                if (bias == null) {
                    skip("Gemm with a bias that is not one constant per column");
                    return;
                }
            } else if (n.is("MatMul")) {
                Node add = g.soleConsumer(n.output());
                if (add != null && add.is("Add") && add.domain().isEmpty()) {
                    String other = add.input(0).equals(n.output()) ? add.input(1) : add.input(0);
                    long[] d = g.constantDims(other);
                    if (d != null && d.length == 1 && d[0] == cols
                            && g.constant(other).get().getDataType() == TensorProto.DataType.FLOAT_VALUE) {
                        bias = other;
                        output = add.output();
                        replaced = add;
                    }
                }
            }
            String y = g.uniqueName(output + "_quant");
            if (shareActivation || fixedRanges) {
                String[] a = activation(x, observedInput.get(n));
                add("MatMulIntegerToFloat", List.of(a[0], w[0], a[1], w[1], a[2], "", bias), y, n.name());
            } else {
                List<String> in = new ArrayList<>(List.of(x, w[0], w[1], "", bias));
                trim(in);
                add("DynamicQuantizeMatMul", in, y, n.name());
            }
            g.replaceUses(output, y);
            converted.merge(n.opType() + (replaced != null ? "+Add" : ""), 1, Integer::sum);
        }

        /** A Gemm's C as a 1-D bias (scaled by beta), or null when it is not one. */
        private String gemmBias(Node n, long cols) {
            TensorProto c = g.constant(n.input(2)).orElse(null);
            if (c == null || c.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                return null;
            }
            long count = Tensors.elementCount(c);
            if (count != cols || c.getDimsCount() > 2 || (c.getDimsCount() == 2 && c.getDims(0) != 1)) {
                return null;
            }
            float beta = n.floatAttr("beta", 1f);
            float[] b = Tensors.toFloats(c);
            if (beta != 1f) {
                for (int i = 0; i < b.length; i++) {
                    b[i] *= beta;
                }
            }
            return g.addInitializer(n.input(2) + "_bias", Tensors.floats("b", b, cols));
        }

        private boolean acceptAttention(Node n) {
            if (!options.attention()) {
                return false;
            }
            TensorProto w = g.constant(n.input(1)).orElse(null);
            if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE || w.getDimsCount() != 2) {
                skip("Attention whose weight is not a constant float matrix");
                return false;
            }
            if (n.inputCount() > 4 || n.outputs().size() > 1) {
                skip("Attention with past state or extra inputs");
                return false;
            }
            return calibrated(n);
        }

        private void attention(Node n) {
            TensorProto w = g.constant(n.input(1)).orElseThrow();
            String bias = n.input(2);
            if (bias.isEmpty()) {
                long cols = w.getDims(1);
                bias = g.addInitializer(n.name() + "_bias", Tensors.floats("b", new float[(int) cols], cols));
            }
            String[] q = weight(n.input(1), false, smoothing.get(n));
            String[] a = activation(input(n), observedInput.get(n));
            List<String> in = new ArrayList<>(List.of(a[0], q[0], bias, a[1], q[1], n.input(3), a[2]));
            List<AttributeProto> attrs = new ArrayList<>();
            for (String keep : List.of("num_heads", "unidirectional", "mask_filter_value", "scale")) {
                if (n.hasAttribute(keep)) {
                    attrs.add(n.attribute(keep));
                }
            }
            String y = g.uniqueName(n.output() + "_quant");
            Node qa = g.addNode(MS, "QAttention", in, List.of(y), attrs.toArray(new AttributeProto[0]));
            qa.setName(g.uniqueName(n.name() + "_quant"));
            emitted.merge("QAttention", 1, Integer::sum);
            g.replaceUses(n.output(), y);
            converted.merge("Attention", 1, Integer::sum);
        }

        /**
         * {quantized name, scale name, columns} of a weight, quantized once per layout and smoothing;
         * with smoothing, row j is multiplied by s_j first.
         */
        private String[] weight(String name, boolean transposed, float[] smooth) {
            String key = name + (transposed ? "^T" : "") + (smooth == null ? "" : "@" + System.identityHashCode(smooth));
            return weights.computeIfAbsent(key, k -> {
                TensorProto t = g.constant(name).orElseThrow();
                int rows = (int) t.getDims(0);
                int cols = (int) t.getDims(1);
                float[] v = Tensors.toFloats(t);
                if (transposed) {
                    v = transpose(v, rows, cols);
                    int swap = rows;
                    rows = cols;
                    cols = swap;
                }
                if (smooth != null) {
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            v[r * cols + c] *= smooth[r];
                        }
                    }
                }
                WeightQuantizer.Quantized q = WeightQuantizer.quantize(v, rows, cols, options.perChannel(),
                        options.reduceRange());
                String qName = g.addInitializer(name + "_quantized", Tensors.bytes("q", q.values(), true, rows, cols));
                String sName = q.scales().length == 1
                        ? g.addInitializer(name + "_scale", Tensors.scalar("s", q.scales()[0]))
                        : g.addInitializer(name + "_scale", Tensors.floats("s", q.scales(), cols));
                return new String[] {qName, sName, Integer.toString(cols)};
            });
        }

        /**
         * {uint8 value, scale, zero point} of an activation: one DynamicQuantizeLinear each, or with fixed
         * ranges one QuantizeLinear with the calibrated scale and zero point as constants.
         */
        private String[] activation(String value, String observed) {
            if (fixedRanges) {
                return activations.computeIfAbsent(value, v -> quantizeLinear(v, observed));
            }
            return activations.computeIfAbsent(value, v -> {
                String[] outs = {g.uniqueName(v + "_quantized"), g.uniqueName(v + "_scale"),
                        g.uniqueName(v + "_zero_point")};
                Node dql = g.addNode("DynamicQuantizeLinear", List.of(v), List.of(outs));
                dql.setName(g.uniqueName(v + "_DynamicQuantizeLinear"));
                emitted.merge("DynamicQuantizeLinear", 1, Integer::sum);
                return outs;
            });
        }

        /**
         * QuantizeLinear of v with the range calibration saw of x (the source graph's name for v, or for
         * the value v divides by s when v is smoothed).
         */
        private String[] quantizeLinear(String v, String x) {
            float[] s = smoothedBy.get(v);
            ActivationRange range = ActivationRange.of(stats, x, s).orElseThrow(
                    () -> new IllegalStateException("no calibrated range for " + x));
            String scale = g.addInitializer(v + "_scale", Tensors.scalar("s", range.scale()));
            String zeroPoint = g.addInitializer(v + "_zero_point",
                    Tensors.bytes("z", new byte[] {(byte) range.zeroPoint()}, false));
            String q = g.uniqueName(v + "_quantized");
            Node ql = g.addNode("QuantizeLinear", List.of(v, scale, zeroPoint), List.of(q));
            ql.setName(g.uniqueName(v + "_QuantizeLinear"));
            emitted.merge("QuantizeLinear", 1, Integer::sum);
            return new String[] {q, scale, zeroPoint};
        }

        private void add(String op, List<String> inputs, String output, String sourceName) {
            List<String> in = new ArrayList<>(inputs);
            trim(in);
            Node n = g.addNode(MS, op, in, List.of(output));
            n.setName(g.uniqueName(sourceName + "_quant"));
            emitted.merge(op, 1, Integer::sum);
        }

        private static float[] transpose(float[] v, int rows, int cols) {
            float[] tr = new float[v.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    tr[c * rows + r] = v[r * cols + c];
                }
            }
            return tr;
        }

        private static void trim(List<String> inputs) {
            while (!inputs.isEmpty() && inputs.get(inputs.size() - 1).isEmpty()) {
                inputs.remove(inputs.size() - 1);
            }
        }

        private void skip(String reason) {
            skipped.merge(reason, 1, Integer::sum);
        }
    }
}
