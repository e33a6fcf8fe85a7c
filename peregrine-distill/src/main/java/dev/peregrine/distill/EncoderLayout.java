package dev.peregrine.distill;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.Node;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where a BERT-family encoder's parts are in its ONNX graph: the embedding tables, and for every
 * transformer layer the initializers of its six products, its two LayerNorms and the values that
 * enter and leave it; then the nodes after the last layer (pooling, a classification head).
 *
 * <p>Found by structure, not by names (exports name weights {@code onnx::MatMul_787}): LayerNorms
 * (the operator, or its opset-14 decomposition) in graph order, the first after the embeddings, then
 * two per layer, each pair checked to be a post-norm block (residual add into each norm); in a
 * block, Q, K and V are the three products of the block's input, told apart by where they meet
 * (Q and K in the scores' product, K as its second input; V in the context product). BERT, MiniLM,
 * BGE and DistilBERT have this shape; positions computed from the ids (RoBERTa, XLM-R, MPNet) and
 * pre-norm blocks (ModernBERT) are refused with a message. Whatever the structure says, the
 * distiller also checks the PyTorch forward against ONNX Runtime before training.
 *
 * @param inputIds           the token-id input
 * @param tokenTypeInput     the token-type input, or null
 * @param maskInput          the attention-mask input
 * @param wordEmbeddings     initializer [vocab, hidden]
 * @param positionEmbeddings initializer [positions, hidden] (absolute positions 0..S-1)
 * @param tokenTypeEmbeddings initializer [types, hidden], or null
 * @param embeddingNorm      the LayerNorm after the embedding sum
 * @param layers             the transformer layers in order
 * @param heads              attention heads
 * @param hidden             hidden size
 * @param output             the graph output the model is read by (logits, last_hidden_state, ...)
 * @param tail               the nodes from the last layer's output to {@code output}, in graph order
 */
public record EncoderLayout(String inputIds, String tokenTypeInput, String maskInput, String wordEmbeddings,
                            String positionEmbeddings, String tokenTypeEmbeddings, Norm embeddingNorm,
                            List<Layer> layers, int heads, int hidden, String output, List<Node> tail) {

    public EncoderLayout {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(maskInput, "maskInput");
        Objects.requireNonNull(wordEmbeddings, "wordEmbeddings");
        Objects.requireNonNull(positionEmbeddings, "positionEmbeddings");
        Objects.requireNonNull(embeddingNorm, "embeddingNorm");
        layers = List.copyOf(layers);
        tail = List.copyOf(tail);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers");
        }
        if (heads < 1 || hidden % heads != 0) {
            throw new IllegalArgumentException(heads + " heads do not divide hidden size " + hidden);
        }
    }

    /** A LayerNorm: {@code output = (input - mean) / sqrt(var + eps) * gamma + beta}. */
    public record Norm(String input, String output, String gamma, String beta, float eps) {
    }

    /** {@code input x weight + bias}, weight stored [in, out] as MatMul reads it. */
    public record Linear(String input, String weight, String bias) {
    }

    /**
     * One post-norm transformer block.
     *
     * @param input  the value entering the block (the previous block's output)
     * @param output the value leaving it (its second LayerNorm's output)
     */
    public record Layer(String input, String output, Linear query, Linear key, Linear value, Linear attentionOutput,
                        Norm attentionNorm, Linear intermediate, Linear ffnOutput, Norm outputNorm) {

        /** Every initializer of this block, in a fixed order. */
        public List<String> initializers() {
            return List.of(query.weight(), query.bias(), key.weight(), key.bias(), value.weight(), value.bias(),
                    attentionOutput.weight(), attentionOutput.bias(), attentionNorm.gamma(), attentionNorm.beta(),
                    intermediate.weight(), intermediate.bias(), ffnOutput.weight(), ffnOutput.bias(),
                    outputNorm.gamma(), outputNorm.beta());
        }
    }

    /** The float initializers of the nodes after the last layer (a classification head's weights). */
    public List<String> tailInitializers(OnnxGraph graph) {
        Set<String> names = new LinkedHashSet<>();
        for (Node n : tail) {
            for (String in : n.inputs()) {
                TensorProto t = graph.initializers().get(in);
                if (t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && Tensors.elementCount(t) > 1) {
                    names.add(in);
                }
            }
        }
        return List.copyOf(names);
    }

    public int headSize() {
        return hidden / heads;
    }

    /**
     * Reads the layout of {@code graph}.
     *
     * @param output          the output the engine reads (ModelInfo's outputName)
     * @param configuredHeads num_attention_heads from config.json, or 0 when absent
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} with the reason when the graph is not
     *                            a BERT-family encoder this class understands
     */
    public static EncoderLayout read(OnnxGraph graph, String output, int configuredHeads) {
        String ids = requireInput(graph, "input_ids");
        String mask = requireInput(graph, "attention_mask");
        String types = graph.isGraphInput("token_type_ids") ? "token_type_ids" : null;
        List<Norm> norms = norms(graph);
        if (norms.size() < 3) {
            throw unsupported("found " + norms.size() + " LayerNorms; a post-norm BERT-family encoder has 1 + 2 per layer");
        }
        Norm embeddingNorm = norms.get(0);
        // The embedding tables: lookups into initializers that feed the first LayerNorm.
        String word = null;
        String position = null;
        String tokenType = null;
        for (Node gather : ancestors(graph, embeddingNorm.input(), Set.of())) {
            if (!gather.is("Gather") || !graph.initializers().containsKey(gather.input(0))) {
                continue;
            }
            String indices = gather.input(1);
            if (indices.equals(ids)) {
                word = gather.input(0);
            } else if (indices.equals(types)) {
                tokenType = gather.input(0);
            } else {
                // A Shape of the ids (or of their embeddings) is only the length: positions 0..S-1.
                boolean fromIds = valueAncestors(graph, indices).stream()
                        .anyMatch(n -> !n.is("Shape") && n.inputs().contains(ids));
                if (fromIds) {
                    throw unsupported("position ids are computed from the token ids (RoBERTa/XLM-R/MPNet style); "
                            + "only absolute positions 0..S-1 (BERT, MiniLM, BGE, DistilBERT) are supported");
                }
                position = gather.input(0);
            }
        }
        if (word == null || position == null) {
            throw unsupported("no word and position embedding lookups feed the first LayerNorm");
        }
        int hidden = (int) graph.constantDims(word)[1];

        List<Layer> layers = new ArrayList<>();
        String h = embeddingNorm.output();
        for (int i = 1; i + 1 < norms.size(); i += 2) {
            Layer layer = layer(graph, h, norms.get(i), norms.get(i + 1));
            if (layer == null) {
                break;
            }
            layers.add(layer);
            h = layer.output();
        }
        if (layers.isEmpty()) {
            throw unsupported("the LayerNorms do not form post-norm transformer blocks (residual add into each norm)");
        }
        int heads = heads(graph, layers.get(0).query(), hidden, configuredHeads);
        List<Node> tail = tail(graph, h, output);
        return new EncoderLayout(ids, types, mask, word, position, tokenType, embeddingNorm, layers, heads, hidden,
                output, tail);
    }

    private static String requireInput(OnnxGraph graph, String name) {
        if (!graph.isGraphInput(name)) {
            throw unsupported("the graph has no '" + name + "' input");
        }
        return name;
    }

    static PeregrineException unsupported(String why) {
        return new PeregrineException(ErrorKind.MODEL_INVALID,
                "layer distillation supports BERT-family encoders (BERT, MiniLM, BGE, DistilBERT): " + why);
    }

    /** LayerNorms in graph order: the operator, or ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add. */
    static List<Norm> norms(OnnxGraph g) {
        List<Norm> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n.is("LayerNormalization")) {
                if (n.inputCount() < 3 || !g.initializers().containsKey(n.input(1))
                        || !g.initializers().containsKey(n.input(2))) {
                    continue;
                }
                out.add(new Norm(n.input(0), n.output(), n.input(1), n.input(2), n.floatAttr("epsilon", 1e-5f)));
            } else if (n.is("ReduceMean")) {
                String x = n.input(0);
                Node sub = only(g.consumers(n.output()), c -> c.is("Sub") && c.input(0).equals(x));
                if (sub == null) {
                    continue;
                }
                Node div = only(g.consumers(sub.output()), c -> c.is("Div") && c.input(0).equals(sub.output()));
                if (div == null) {
                    continue;
                }
                Node mul = only(g.consumers(div.output()), c -> c.is("Mul"));
                if (mul == null) {
                    continue;
                }
                String gamma = other(mul, div.output());
                Node add = only(g.consumers(mul.output()), c -> c.is("Add"));
                if (add == null || gamma == null || !g.initializers().containsKey(gamma)) {
                    continue;
                }
                String beta = other(add, mul.output());
                if (beta == null || !g.initializers().containsKey(beta)) {
                    continue;
                }
                float eps = 1e-12f;
                Node sqrt = g.producer(div.input(1));
                if (sqrt != null && sqrt.is("Sqrt")) {
                    Node plus = g.producer(sqrt.input(0));
                    if (plus != null && plus.is("Add")) {
                        for (String in : plus.inputs()) {
                            var s = g.scalar(in);
                            if (s.isPresent()) {
                                eps = s.get().floatValue();
                            }
                        }
                    }
                }
                out.add(new Norm(x, add.output(), gamma, beta, eps));
            }
        }
        return out;
    }

    private static Layer layer(OnnxGraph g, String h, Norm attentionNorm, Norm outputNorm) {
        Node residual1 = g.producer(attentionNorm.input());
        if (residual1 == null || !residual1.is("Add") || !residual1.inputs().contains(h)) {
            return null;
        }
        Linear attentionOutput = linearProducing(g, other(residual1, h));
        Node residual2 = g.producer(outputNorm.input());
        if (attentionOutput == null || residual2 == null || !residual2.is("Add")
                || !residual2.inputs().contains(attentionNorm.output())) {
            return null;
        }
        Linear ffnOutput = linearProducing(g, other(residual2, attentionNorm.output()));
        List<Linear> fromNorm = linearsReading(g, attentionNorm.output());
        List<Linear> qkv = linearsReading(g, h);
        if (ffnOutput == null || fromNorm.size() != 1 || qkv.size() != 3) {
            return null;
        }
        Linear query = null;
        Linear key = null;
        Linear value = null;
        Node[] meets = new Node[3];
        int[] slots = new int[3];
        for (int i = 0; i < 3; i++) {
            Node m = nextProduct(g, qkv.get(i).bias() == null ? null : biasAdd(g, qkv.get(i)), slots, i);
            if (m == null) {
                return null;
            }
            meets[i] = m;
        }
        for (int i = 0; i < 3; i++) {
            boolean shared = false;
            for (int j = 0; j < 3; j++) {
                if (j != i && meets[j] == meets[i]) {
                    shared = true;
                }
            }
            if (!shared) {
                value = qkv.get(i);
            } else if (slots[i] == 0) {
                query = qkv.get(i);
            } else {
                key = qkv.get(i);
            }
        }
        if (query == null || key == null || value == null) {
            return null;
        }
        return new Layer(h, outputNorm.output(), query, key, value, attentionOutput, attentionNorm, fromNorm.get(0),
                ffnOutput, outputNorm);
    }

    /** The output of a Linear's bias add. */
    private static String biasAdd(OnnxGraph g, Linear l) {
        for (Node c : g.consumers(l.input())) {
            if (c.is("MatMul") && c.input(1).equals(l.weight())) {
                Node add = only(g.consumers(c.output()), n -> n.is("Add"));
                return add == null ? null : add.output();
            }
        }
        return null;
    }

    /**
     * Follows {@code value} forward through reshapes, transposes and scalings to the first product of
     * two activations; records which input of it the path arrived at.
     */
    private static Node nextProduct(OnnxGraph g, String value, int[] slots, int slot) {
        if (value == null) {
            return null;
        }
        Deque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (!seen.add(v)) {
                continue;
            }
            for (Node c : g.consumers(v)) {
                if (c.is("Shape")) {
                    continue;
                }
                if (c.is("MatMul") && !g.initializers().containsKey(c.input(1))) {
                    slots[slot] = c.input(0).equals(v) ? 0 : 1;
                    return c;
                }
                if (c.is("Reshape") || c.is("Transpose") || c.is("Div") || c.is("Mul") || c.is("Cast")
                        || c.is("Unsqueeze") || c.is("Squeeze") || c.is("Identity")) {
                    todo.add(c.output());
                }
            }
        }
        return null;
    }

    /** MatMul (by an initializer) + Add (of an initializer) producing {@code value}. */
    private static Linear linearProducing(OnnxGraph g, String value) {
        Node add = value == null ? null : g.producer(value);
        if (add == null || !add.is("Add")) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            Node mm = g.producer(add.input(i));
            String bias = add.input(1 - i);
            if (mm != null && mm.is("MatMul") && g.initializers().containsKey(mm.input(1))
                    && g.initializers().containsKey(bias)) {
                return new Linear(mm.input(0), mm.input(1), bias);
            }
        }
        return null;
    }

    /** The Linears (MatMul by an initializer, then a bias Add) reading {@code value}. */
    private static List<Linear> linearsReading(OnnxGraph g, String value) {
        List<Linear> out = new ArrayList<>();
        for (Node c : g.consumers(value)) {
            if (c.is("MatMul") && c.input(0).equals(value) && g.initializers().containsKey(c.input(1))) {
                Node add = only(g.consumers(c.output()), n -> n.is("Add"));
                String bias = add == null ? null : other(add, c.output());
                if (bias != null && g.initializers().containsKey(bias)) {
                    out.add(new Linear(value, c.input(1), bias));
                }
            }
        }
        return out;
    }

    private static int heads(OnnxGraph g, Linear query, int hidden, int configured) {
        String v = biasAdd(g, query);
        for (Node c : v == null ? List.<Node>of() : g.consumers(v)) {
            if (!c.is("Reshape")) {
                continue;
            }
            List<Long> dims = new ArrayList<>();
            var constant = g.constant(c.input(1));
            if (constant.isPresent()) {
                for (long d : Tensors.toLongs(constant.get())) {
                    dims.add(d);
                }
            } else {
                Node concat = g.producer(c.input(1));
                if (concat != null && concat.is("Concat")) {
                    for (String in : concat.inputs()) {
                        var k = g.constant(in);
                        if (k.isPresent()) {
                            for (long d : Tensors.toLongs(k.get())) {
                                dims.add(d);
                            }
                        }
                    }
                }
            }
            if (dims.size() >= 2) {
                long size = dims.get(dims.size() - 1);
                long count = dims.get(dims.size() - 2);
                if (size > 0 && count > 0 && count * size == hidden) {
                    return (int) count;
                }
            }
        }
        if (configured > 0) {
            return configured;
        }
        throw unsupported("cannot tell the number of attention heads from the graph, and config.json has no "
                + "num_attention_heads");
    }

    /** Nodes computing {@code output} from {@code last} and the graph's inputs and constants. */
    private static List<Node> tail(OnnxGraph g, String last, String output) {
        List<Node> nodes = ancestors(g, output, Set.of(last));
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                if (in.isEmpty() || in.equals(last) || g.isGraphInput(in) || g.initializers().containsKey(in)) {
                    continue;
                }
                Node p = g.producer(in);
                if (p == null || !nodes.contains(p)) {
                    throw unsupported("the output '" + output + "' reads values from inside the encoder, not only "
                            + "its last layer");
                }
            }
            if (n.inputs().stream().anyMatch(in -> in.equals("input_ids") || in.equals("token_type_ids"))) {
                throw unsupported("the nodes after the last layer read the token ids");
            }
        }
        return nodes;
    }

    /** The nodes {@code value} depends on (stopping at {@code stops}), in graph order. */
    static List<Node> ancestors(OnnxGraph g, String value, Set<String> stops) {
        Set<Node> found = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Deque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (!seen.add(v) || stops.contains(v)) {
                continue;
            }
            Node p = g.producer(v);
            if (p != null && found.add(p)) {
                todo.addAll(p.inputs());
            }
        }
        List<Node> ordered = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (found.contains(n)) {
                ordered.add(n);
            }
        }
        return ordered;
    }

    /** {@link #ancestors} that does not look past Shape nodes (they read only a tensor's shape). */
    private static List<Node> valueAncestors(OnnxGraph g, String value) {
        List<Node> found = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (!seen.add(v)) {
                continue;
            }
            Node p = g.producer(v);
            if (p != null && !found.contains(p)) {
                found.add(p);
                if (!p.is("Shape")) {
                    todo.addAll(p.inputs());
                }
            }
        }
        return found;
    }

    private static String other(Node binary, String one) {
        if (binary.inputCount() != 2) {
            return null;
        }
        if (binary.input(0).equals(one)) {
            return binary.input(1);
        }
        return binary.input(1).equals(one) ? binary.input(0) : null;
    }

    private static Node only(List<Node> nodes, java.util.function.Predicate<Node> test) {
        Node found = null;
        for (Node n : nodes) {
            if (test.test(n)) {
                if (found != null) {
                    return null;
                }
                found = n;
            }
        }
        return found;
    }
}
