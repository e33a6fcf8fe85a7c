package dev.peregrine.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.Pooling;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.graph.OnnxGraph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A BERT-family encoder as eager PyTorch operations (DJL NDArrays), with the weights of its ONNX
 * graph: embeddings, then per kept layer self-attention and feed-forward with post-norm residuals,
 * then the graph's own nodes after the last layer (pooling, a classifier head) through
 * {@link TailProgram}. Parameters are kept under their ONNX initializer names, so a trained student
 * is written back by replacing initializers ({@link StudentWriter}).
 *
 * <p>A student is made by {@link #student}: the same embeddings (shared, frozen), its own copies of
 * the kept layers' and the head's weights (trainable).
 *
 * <p>Not thread-safe: one thread drives a model (PyTorch parallelizes inside each operation).
 */
public final class TorchModel implements AutoCloseable {

    /** Added to attention scores of padding positions: far below any score, as transformers does. */
    private static final float MASKED = -3.4028235e38f;

    private final NDManager manager;
    private final EncoderLayout layout;
    private final OnnxGraph graph;
    private final List<Integer> layers;
    private final Map<String, NDArray> params;
    private final Set<String> trainable;
    private final Task task;
    private final Pooling pooling;
    private final boolean multiLabel;
    private final TailProgram tail;

    private TorchModel(NDManager manager, EncoderLayout layout, OnnxGraph graph, List<Integer> layers,
                       Map<String, NDArray> params, Set<String> trainable, Task task, Pooling pooling,
                       boolean multiLabel) {
        this.manager = manager;
        this.layout = layout;
        this.graph = graph;
        this.layers = List.copyOf(layers);
        this.params = params;
        this.trainable = Set.copyOf(trainable);
        this.task = task;
        this.pooling = pooling;
        this.multiLabel = multiLabel;
        this.tail = new TailProgram(layout.tail(), graph, params, layout.layers().get(layout.layers().size() - 1).output());
    }

    /**
     * Loads a model's ONNX graph into PyTorch.
     *
     * @param model   the graph
     * @param info    what the engine made of it (task, output, pooling)
     * @param heads   num_attention_heads from config.json, or 0
     * @param threads PyTorch intra-op threads (first model of the process only); 0 for one per core
     */
    public static TorchModel load(ModelProto model, ModelInfo info, int heads, int threads) {
        OnnxGraph graph = OnnxGraph.of(model);
        EncoderLayout layout = EncoderLayout.read(graph, info.outputName(), heads);
        NDManager manager = Torch.engine(threads).newBaseManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        Set<String> needed = new HashSet<>(List.of(layout.wordEmbeddings(), layout.positionEmbeddings(),
                layout.embeddingNorm().gamma(), layout.embeddingNorm().beta()));
        if (layout.tokenTypeEmbeddings() != null) {
            needed.add(layout.tokenTypeEmbeddings());
        }
        layout.layers().forEach(l -> needed.addAll(l.initializers()));
        for (var n : layout.tail()) {
            n.inputs().stream().filter(graph.initializers()::containsKey).forEach(needed::add);
        }
        for (String name : needed) {
            params.put(name, toArray(manager, graph.initializer(name)));
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < layout.layers().size(); i++) {
            all.add(i);
        }
        return new TorchModel(manager, layout, graph, all, params, Set.of(), info.task(), info.pooling(),
                info.multiLabel());
    }

    /**
     * A student keeping the given layers (indices into the teacher's, ascending): the embeddings are
     * shared with this model, the kept layers' and the head's weights are copies that train.
     */
    public TorchModel student(List<Integer> keep) {
        Objects.requireNonNull(keep, "keep");
        if (keep.isEmpty() || keep.size() > layers.size()) {
            throw new IllegalArgumentException("a student keeps 1.." + layers.size() + " layers, not " + keep.size());
        }
        for (int i = 1; i < keep.size(); i++) {
            if (keep.get(i) <= keep.get(i - 1)) {
                throw new IllegalArgumentException("kept layers must be ascending and distinct: " + keep);
            }
        }
        for (int k : keep) {
            if (!layers.contains(k)) {
                throw new IllegalArgumentException("layer " + k + " is not in this model " + layers);
            }
        }
        NDManager own = manager.newSubManager();
        Map<String, NDArray> copy = new LinkedHashMap<>(params);
        Set<String> train = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (int k : keep) {
            names.addAll(layout.layers().get(k).initializers());
        }
        names.addAll(layout.tailInitializers(graph));
        for (String name : names) {
            NDArray c = params.get(name).duplicate();
            c.attach(own);
            c.setRequiresGradient(true);
            copy.put(name, c);
            train.add(name);
        }
        return new TorchModel(own, layout, graph, keep, copy, train, task, pooling, multiLabel);
    }

    public EncoderLayout layout() {
        return layout;
    }

    /** Indices of the teacher's layers this model runs, ascending. */
    public List<Integer> layers() {
        return layers;
    }

    public Task task() {
        return task;
    }

    public NDManager manager() {
        return manager;
    }

    /** The parameters that train, by initializer name (empty for a loaded teacher). */
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : trainable) {
            out.put(name, params.get(name));
        }
        return out;
    }

    /** Every parameter this model runs with, by initializer name (for tests). */
    Map<String, NDArray> parameters() {
        return java.util.Collections.unmodifiableMap(params);
    }

    /** Current values of the parameters that train, as float arrays by initializer name. */
    public Map<String, float[]> trainedWeights() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : trainable.stream().sorted().toList()) {
            out.put(name, params.get(name).toFloatArray());
        }
        return out;
    }

    /** A padded batch in PyTorch tensors. */
    public record Batch(NDArray ids, NDArray types, NDArray mask, int size, int length) {
    }

    /** Pads texts to the longest (pad id 0, masked) in {@code scope}. */
    public static Batch batch(NDManager scope, List<EncodedText> texts) {
        int b = texts.size();
        int s = texts.stream().mapToInt(EncodedText::length).max().orElse(0);
        long[] ids = new long[b * s];
        long[] types = new long[b * s];
        long[] mask = new long[b * s];
        for (int i = 0; i < b; i++) {
            EncodedText t = texts.get(i);
            for (int j = 0; j < t.length(); j++) {
                ids[i * s + j] = t.ids()[j];
                types[i * s + j] = t.typeIds()[j];
                mask[i * s + j] = 1;
            }
        }
        Shape shape = new Shape(b, s);
        return new Batch(scope.create(ids, shape), scope.create(types, shape), scope.create(mask, shape), b, s);
    }

    /**
     * What one forward pass gives.
     *
     * @param hidden  each run layer's output [B, S, H], in order
     * @param output  the graph output's value: token embeddings [B, S, H] or one row per text (logits)
     */
    public record Pass(List<NDArray> hidden, NDArray output) {
        public NDArray last() {
            return hidden.get(hidden.size() - 1);
        }
    }

    /** Runs the model on a batch; results live in the batch's manager. */
    public Pass forward(Batch batch) {
        return forward(batch, layers);
    }

    /** Runs only {@code run} of this model's layers (for measuring a layer's importance). */
    public Pass forward(Batch batch, List<Integer> run) {
        NDArray ids = batch.ids();
        NDArray x = embed(ids, params.get(layout.wordEmbeddings()));
        NDArray positions = ids.getManager().arange(0, batch.length(), 1, DataType.INT64);
        x = x.add(embed(positions, params.get(layout.positionEmbeddings())).expandDims(0));
        if (layout.tokenTypeEmbeddings() != null) {
            x = x.add(embed(batch.types(), params.get(layout.tokenTypeEmbeddings())));
        }
        x = norm(x, layout.embeddingNorm());
        NDArray bias = batch.mask().toType(DataType.FLOAT32, false).neg().add(1f).mul(MASKED)
                .reshape(batch.size(), 1, 1, batch.length());
        List<NDArray> hidden = new ArrayList<>();
        for (int k : run) {
            x = layer(x, layout.layers().get(k), bias, batch);
            hidden.add(x);
        }
        NDArray out = tail.run(x, Map.of(layout.maskInput(), batch.mask()));
        return new Pass(hidden, out);
    }

    private static NDArray embed(NDArray indices, NDArray table) {
        NDList out = indices.getNDArrayInternal().embedding(indices, table, SparseFormat.DENSE);
        return out.singletonOrThrow();
    }

    private NDArray norm(NDArray x, EncoderLayout.Norm n) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(layout.hidden()), params.get(n.gamma()),
                params.get(n.beta()), n.eps()).singletonOrThrow();
    }

    private NDArray linear(NDArray x, EncoderLayout.Linear l) {
        return x.matMul(params.get(l.weight())).add(params.get(l.bias()));
    }

    private NDArray layer(NDArray x, EncoderLayout.Layer l, NDArray maskBias, Batch batch) {
        int b = batch.size();
        int s = batch.length();
        int heads = layout.heads();
        int d = layout.headSize();
        NDArray q = linear(x, l.query()).reshape(b, s, heads, d).transpose(0, 2, 1, 3);
        NDArray k = linear(x, l.key()).reshape(b, s, heads, d).transpose(0, 2, 3, 1);
        NDArray v = linear(x, l.value()).reshape(b, s, heads, d).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(k).div((float) Math.sqrt(d)).add(maskBias);
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, s, layout.hidden());
        NDArray a = norm(linear(context, l.attentionOutput()).add(x), l.attentionNorm());
        NDArray f = Activation.gelu(linear(a, l.intermediate()));
        return norm(linear(f, l.ffnOutput()).add(a), l.outputNorm());
    }

    /**
     * What the engine's forward pass gives for these texts: pooled (not normalized) embeddings, or
     * class probabilities. Runs without gradients.
     */
    public float[][] rows(List<EncodedText> texts) {
        try (NDManager scope = manager.newSubManager()) {
            Batch batch = batch(scope, texts);
            Pass pass = forward(batch);
            NDArray r = task == Task.CLASSIFICATION ? probabilities(pass.output()) : sentence(pass.output(), batch);
            float[] flat = r.toFloatArray();
            int width = (int) r.getShape().get(1);
            float[][] out = new float[texts.size()][width];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(flat, i * width, out[i], 0, width);
            }
            return out;
        }
    }

    /** Softmax (or per-class sigmoid for multi-label models) of logits [B, C]. */
    public NDArray probabilities(NDArray logits) {
        return multiLabel ? Activation.sigmoid(logits) : logits.softmax(-1);
    }

    /** The sentence embedding [B, H]: the output as is when it is one row per text, else pooled. */
    public NDArray sentence(NDArray output, Batch batch) {
        if (output.getShape().dimension() == 2) {
            return output;
        }
        NDArray m = batch.mask().toType(DataType.FLOAT32, false).expandDims(2);
        Pooling p = pooling == null ? Pooling.MEAN : pooling;
        return switch (p) {
            case MEAN -> output.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
            case MEAN_SQRT_LEN -> output.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f).sqrt());
            case CLS -> output.get(":, 0, :");
            case MAX -> output.add(m.sub(1f).mul(1e9f)).max(new int[] {1});
            case LAST_TOKEN -> {
                NDArray last = batch.mask().sum(new int[] {1}).sub(1L).reshape(batch.size(), 1, 1)
                        .repeat(2, layout.hidden());
                yield output.gather(last, 1).squeeze(1);
            }
        };
    }

    /**
     * An initializer as a tensor in PyTorch's own memory. DJL's {@code create} wraps a Java direct
     * buffer without copying it, at whatever address malloc gave (16-byte aligned, a different offset
     * each time); MKL's matrix products round differently by their operands' alignment on Intel
     * CPUs, so the same seed trained different students. The copy is 64-byte aligned, always.
     */
    static NDArray toArray(NDManager manager, TensorProto t) {
        try (NDManager staging = manager.newSubManager()) {
            NDArray owned = fromJava(staging, t).duplicate();
            owned.attach(manager);
            return owned;
        }
    }

    private static NDArray fromJava(NDManager manager, TensorProto t) {
        Shape shape = new Shape(Tensors.dims(t));
        return switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> manager.create(Tensors.toFloats(t), shape);
            case TensorProto.DataType.INT64_VALUE -> manager.create(Tensors.toLongs(t), shape);
            case TensorProto.DataType.INT32_VALUE -> manager.create(Tensors.toInts(t), shape);
            default -> throw EncoderLayout.unsupported("initializer " + t.getName() + " has data type "
                    + t.getDataType() + "; float32 models only");
        };
    }

    @Override
    public void close() {
        manager.close();
    }
}
