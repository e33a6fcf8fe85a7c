package dev.peregrine.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.peregrine.onnx.Tensors;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A mutable view of an ONNX model's main graph, for rewriting: nodes with producer and consumer
 * indexes, initializers by name, constant lookup (initializers and {@code Constant} nodes alike),
 * path matching, node replacement, dead-node removal and topological sorting.
 *
 * <h2>How rewrites are meant to work</h2>
 * A rewrite adds its new nodes, points the consumers of the old subgraph's output at the new
 * output ({@link #replaceUses}), and leaves the old nodes where they are; {@link #removeDeadNodes}
 * then drops whatever nothing reads any more. A node the rewrite did not account for (an
 * intermediate value read elsewhere) therefore stays and keeps the graph correct, at worst
 * computing something twice. {@link #toModel} sorts the nodes topologically, so new nodes may be
 * added in any order.
 *
 * <p>Indexes are rebuilt lazily after a change. Not thread-safe.
 */
public final class OnnxGraph {

    private final ModelProto template;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final List<ValueInfoProto> inputs;
    private final List<ValueInfoProto> outputs;
    private final Map<String, ValueInfoProto> valueInfo = new LinkedHashMap<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final Set<String> usedNames = new HashSet<>();

    private Map<String, Node> producers;
    private Map<String, List<Node>> consumers;
    private Set<String> outputNames;

    private OnnxGraph(ModelProto model) {
        this.template = model;
        GraphProto g = model.getGraph();
        for (NodeProto n : g.getNodeList()) {
            Node node = Node.fromProto(this, n);
            nodes.add(node);
            usedNames.add(node.name());
            usedNames.addAll(node.outputs());
        }
        for (TensorProto t : g.getInitializerList()) {
            initializers.put(t.getName(), t);
            usedNames.add(t.getName());
        }
        inputs = new ArrayList<>(g.getInputList());
        outputs = new ArrayList<>(g.getOutputList());
        for (ValueInfoProto v : inputs) {
            usedNames.add(v.getName());
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            valueInfo.put(v.getName(), v);
        }
        for (OperatorSetIdProto op : model.getOpsetImportList()) {
            opsets.put(op.getDomain().equals("ai.onnx") ? "" : op.getDomain(), op.getVersion());
        }
    }

    /** A mutable view of {@code model}'s graph; the model itself is not changed. */
    public static OnnxGraph of(ModelProto model) {
        return new OnnxGraph(Objects.requireNonNull(model, "model"));
    }

    /**
     * The rewritten model: nodes in topological order, unused initializers dropped, value infos of
     * values that no longer exist dropped, metadata and everything else of the original kept.
     *
     * @throws IllegalStateException when the nodes form a cycle or read a value nothing produces
     */
    public ModelProto toModel() {
        topologicalSort();
        removeUnusedInitializers();
        GraphProto.Builder g = template.getGraph().toBuilder()
                .clearNode().clearInitializer().clearInput().clearOutput().clearValueInfo();
        for (Node n : nodes) {
            g.addNode(n.toProto());
        }
        g.addAllInitializer(initializers.values());
        g.addAllInput(inputs);
        g.addAllOutput(outputs);
        Set<String> live = new HashSet<>(producers().keySet());
        for (ValueInfoProto v : valueInfo.values()) {
            if (live.contains(v.getName())) {
                g.addValueInfo(v);
            }
        }
        ModelProto.Builder m = template.toBuilder().setGraph(g).clearOpsetImport();
        opsets.forEach((domain, version) ->
                m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
        return m.build();
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /** The nodes in their current order (unmodifiable; changes go through this class). */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public List<ValueInfoProto> inputs() {
        return List.copyOf(inputs);
    }

    public List<ValueInfoProto> outputs() {
        return List.copyOf(outputs);
    }

    /** The graph input of that name, if there is one. */
    public Optional<ValueInfoProto> graphInput(String name) {
        return inputs.stream().filter(v -> v.getName().equals(name)).findFirst();
    }

    public boolean isGraphInput(String value) {
        return graphInput(value).isPresent();
    }

    public boolean isGraphOutput(String value) {
        if (outputNames == null) {
            outputNames = new HashSet<>();
            outputs.forEach(v -> outputNames.add(v.getName()));
        }
        return outputNames.contains(value);
    }

    /** The node that writes {@code value}, or null for graph inputs, initializers and unknown names. */
    public Node producer(String value) {
        return producers().get(value);
    }

    /** The nodes that read {@code value} (each once, in graph order). */
    public List<Node> consumers(String value) {
        return consumersIndex().getOrDefault(value, List.of());
    }

    /** The producer of {@code node}'s input {@code i}, or null. */
    public Node parent(Node node, int i) {
        String in = node.input(i);
        return in.isEmpty() ? null : producer(in);
    }

    /** The producer of input {@code i} when it is an {@code opType} node, else null. */
    public Node parent(Node node, int i, String opType) {
        Node p = parent(node, i);
        return p != null && p.is(opType) ? p : null;
    }

    /**
     * Walks up from {@code start} through producers: step {@code k} follows input {@code inputs[k]}
     * (or, when that is -1, whichever input leads to a match) and expects an {@code opTypes[k]} node.
     * Backtracks over -1 choices, so the first complete path in input order is returned.
     *
     * @return the nodes found, one per step, or null when no path matches
     */
    public List<Node> parentPath(Node start, String[] opTypes, int[] inputs) {
        if (opTypes.length != inputs.length) {
            throw new IllegalArgumentException("one input index per op type");
        }
        List<Node> path = new ArrayList<>(opTypes.length);
        return walk(start, opTypes, inputs, 0, path) ? path : null;
    }

    private boolean walk(Node current, String[] opTypes, int[] idx, int step, List<Node> path) {
        if (step == opTypes.length) {
            return true;
        }
        int from = idx[step] < 0 ? 0 : idx[step];
        int to = idx[step] < 0 ? current.inputCount() - 1 : idx[step];
        for (int i = from; i <= to; i++) {
            Node p = parent(current, i);
            if (p != null && p.is(opTypes[step])) {
                path.add(p);
                if (walk(p, opTypes, idx, step + 1, path)) {
                    return true;
                }
                path.remove(path.size() - 1);
            }
        }
        return false;
    }

    /** The only consumer of {@code value} when there is exactly one and the value is no graph output. */
    public Node soleConsumer(String value) {
        List<Node> c = consumers(value);
        return c.size() == 1 && !isGraphOutput(value) ? c.get(0) : null;
    }

    public Map<String, TensorProto> initializers() {
        return java.util.Collections.unmodifiableMap(initializers);
    }

    /**
     * The initializer of that name, or null. An initializer also declared as a graph input can be
     * overridden by the caller, so it is no constant, except in models before IR version 4, which
     * had to declare every initializer as an input (ONNX Runtime treats those as constants too).
     */
    public TensorProto initializer(String name) {
        if (template.getIrVersion() >= 4 && isGraphInput(name)) {
            return null;
        }
        return initializers.get(name);
    }

    /**
     * The constant value of {@code value}: an initializer that is not also a graph input, or the
     * output of a {@code Constant} node.
     */
    public Optional<TensorProto> constant(String value) {
        TensorProto t = initializer(value);
        if (t != null) {
            return Optional.of(t);
        }
        Node p = producer(value);
        if (p == null || !p.is("Constant") || !p.domain().isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(Constants.fromConstantNode(p, value));
    }

    public boolean isConstant(String value) {
        return constant(value).isPresent();
    }

    /** The values of a constant holding one number (of any numeric type), or empty. */
    public Optional<Double> scalar(String value) {
        return constant(value).flatMap(Constants::scalarValue);
    }

    /** The value info recorded for {@code value} (graph inputs, outputs and value_info), or empty. */
    public Optional<ValueInfoProto> valueInfo(String value) {
        for (ValueInfoProto v : inputs) {
            if (v.getName().equals(value)) {
                return Optional.of(v);
            }
        }
        for (ValueInfoProto v : outputs) {
            if (v.getName().equals(value)) {
                return Optional.of(v);
            }
        }
        return Optional.ofNullable(valueInfo.get(value));
    }

    /** The opset version the model imports for {@code domain} ({@code ""} is ONNX), or 0. */
    public long opset(String domain) {
        return opsets.getOrDefault(domain, 0L);
    }

    /** Node counts by op type ({@code domain:op} for non-default domains), sorted. */
    public Map<String, Integer> opCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Node n : nodes) {
            counts.merge(n.domain().isEmpty() ? n.opType() : n.domain() + ":" + n.opType(), 1, Integer::sum);
        }
        return counts;
    }

    public int count(String opType) {
        int n = 0;
        for (Node node : nodes) {
            if (node.is(opType)) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------
    // Changing

    /** Imports {@code domain} at {@code version} unless the model already imports it. */
    public void requireOpset(String domain, long version) {
        opsets.putIfAbsent(domain, version);
    }

    /** A value or node name not used anywhere in the graph yet, derived from {@code base}. */
    public String uniqueName(String base) {
        String candidate = base;
        int i = 1;
        while (usedNames.contains(candidate)) {
            candidate = base + "_" + i++;
        }
        usedNames.add(candidate);
        return candidate;
    }

    /** Adds a default-domain node. */
    public Node addNode(String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        return addNode("", opType, inputs, outputs, attributes);
    }

    /**
     * Adds a node at the end (order is fixed by {@link #toModel}); its name is made unique from the
     * op type. Non-default domains are imported at version 1.
     */
    public Node addNode(String domain, String opType, List<String> inputs, List<String> outputs,
                        AttributeProto... attributes) {
        Map<String, AttributeProto> attrs = new LinkedHashMap<>();
        for (AttributeProto a : attributes) {
            attrs.put(a.getName(), a);
        }
        Node n = new Node(this, domain, opType, uniqueName(opType), inputs, outputs, attrs, null);
        usedNames.addAll(outputs);
        if (!n.domain().isEmpty()) {
            requireOpset(n.domain(), 1);
        }
        nodes.add(n);
        invalidate();
        return n;
    }

    /** Removes one node (its outputs then have no producer until something else writes them). */
    public void removeNode(Node node) {
        removeNodes(List.of(node));
    }

    public void removeNodes(Collection<Node> gone) {
        Set<Node> set = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(gone);
        nodes.removeIf(set::contains);
        invalidate();
    }

    /**
     * Makes every reader of {@code oldValue} read {@code newValue} instead. When {@code oldValue} is a
     * graph output, an {@code Identity} from {@code newValue} keeps the output's name (its old
     * producer is then dead unless something else reads it).
     */
    public void replaceUses(String oldValue, String newValue) {
        if (oldValue.equals(newValue)) {
            return;
        }
        for (Node c : List.copyOf(consumers(oldValue))) {
            c.replaceInput(oldValue, newValue);
        }
        if (isGraphOutput(oldValue)) {
            Node old = producer(oldValue);
            if (old != null) {
                // The old producer gives up the graph output's name.
                String renamed = uniqueName(oldValue + "_replaced");
                List<String> outs = new ArrayList<>(old.outputs());
                outs.replaceAll(o -> o.equals(oldValue) ? renamed : o);
                replaceOutputs(old, outs);
            }
            Node fresh = producer(newValue);
            if (fresh != null && !isGraphOutput(newValue) && !isGraphInput(newValue)) {
                // The new producer writes the graph output directly; its readers follow the name.
                List<String> outs = new ArrayList<>(fresh.outputs());
                outs.replaceAll(o -> o.equals(newValue) ? oldValue : o);
                replaceOutputs(fresh, outs);
                for (Node c : List.copyOf(consumers(newValue))) {
                    c.replaceInput(newValue, oldValue);
                }
            } else {
                addNode("Identity", List.of(newValue), List.of(oldValue));
            }
        }
        invalidate();
    }

    private void replaceOutputs(Node node, List<String> outs) {
        for (int i = 0; i < outs.size(); i++) {
            node.setOutput(i, outs.get(i));
        }
    }

    /** Adds (or replaces) an initializer and returns its name. */
    public String addInitializer(TensorProto tensor) {
        initializers.put(tensor.getName(), tensor);
        usedNames.add(tensor.getName());
        return tensor.getName();
    }

    /** Adds an initializer under a fresh name derived from {@code base}. */
    public String addInitializer(String base, TensorProto tensor) {
        String name = uniqueName(base);
        initializers.put(name, tensor.toBuilder().setName(name).build());
        return name;
    }

    /** Replaces an existing initializer's contents, keeping its name. */
    public void replaceInitializer(String name, TensorProto tensor) {
        if (!initializers.containsKey(name)) {
            throw new IllegalArgumentException("no initializer named " + name);
        }
        initializers.put(name, tensor.toBuilder().setName(name).build());
    }

    /**
     * Drops initializers nothing reads, and the graph inputs that only declared them (old models list
     * initializers among the inputs); returns how many initializers went.
     */
    public int removeUnusedInitializers() {
        Set<String> read = new HashSet<>(consumersIndex().keySet());
        outputs.forEach(v -> read.add(v.getName()));
        List<String> gone = new ArrayList<>();
        for (String name : initializers.keySet()) {
            if (!read.contains(name)) {
                gone.add(name);
            }
        }
        for (String name : gone) {
            initializers.remove(name);
            inputs.removeIf(v -> v.getName().equals(name));
        }
        return gone.size();
    }

    /**
     * Removes nodes whose outputs nothing reads and that are no graph output, repeatedly, then unused
     * initializers. Returns the number of nodes removed.
     */
    public int removeDeadNodes() {
        int removed = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, List<Node>> readers = consumersIndex();
            List<Node> dead = new ArrayList<>();
            for (Node n : nodes) {
                boolean used = false;
                for (String o : n.outputs()) {
                    if (!o.isEmpty() && (readers.containsKey(o) || isGraphOutput(o))) {
                        used = true;
                        break;
                    }
                }
                if (!used) {
                    dead.add(n);
                }
            }
            if (!dead.isEmpty()) {
                removeNodes(dead);
                removed += dead.size();
                changed = true;
            }
        }
        removeUnusedInitializers();
        return removed;
    }

    /**
     * Orders nodes so each comes after the producers of its inputs, keeping the existing order where
     * it already is valid.
     *
     * @throws IllegalStateException on a cycle, or an input that nothing produces
     */
    public void topologicalSort() {
        Set<String> available = new HashSet<>(initializers.keySet());
        inputs.forEach(v -> available.add(v.getName()));
        available.add("");
        Map<String, List<Node>> waiting = new HashMap<>();
        Map<Node, Integer> missing = new IdentityHashMap<>();
        Map<Node, Integer> position = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            position.put(nodes.get(i), i);
        }
        for (Node n : nodes) {
            Set<String> needs = new HashSet<>();
            for (String in : readsOf(n)) {
                if (!available.contains(in)) {
                    needs.add(in);
                }
            }
            missing.put(n, needs.size());
            for (String in : needs) {
                waiting.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        // A priority by original position keeps the order stable.
        java.util.PriorityQueue<Node> queue = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingInt(position::get));
        for (Node n : nodes) {
            if (missing.get(n) == 0) {
                queue.add(n);
            }
        }
        List<Node> sorted = new ArrayList<>(nodes.size());
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            sorted.add(n);
            for (String o : n.outputs()) {
                if (o.isEmpty() || !available.add(o)) {
                    continue;
                }
                for (Node w : waiting.getOrDefault(o, List.of())) {
                    int left = missing.merge(w, -1, Integer::sum);
                    if (left == 0) {
                        queue.add(w);
                    }
                }
            }
        }
        if (sorted.size() != nodes.size()) {
            List<String> stuck = new ArrayList<>();
            for (Node n : nodes) {
                if (missing.get(n) > 0) {
                    for (String in : readsOf(n)) {
                        if (!available.contains(in)) {
                            stuck.add(n.name() + " reads " + in);
                            break;
                        }
                    }
                }
                if (stuck.size() >= 3) {
                    break;
                }
            }
            throw new IllegalStateException("graph cannot be ordered (a cycle, or a value nothing produces): "
                    + String.join("; ", stuck));
        }
        nodes.clear();
        nodes.addAll(sorted);
        invalidate();
    }

    void invalidate() {
        producers = null;
        consumers = null;
        outputNames = null;
    }

    // ---------------------------------------------------------------------------------------------
    // Indexes

    private Map<String, Node> producers() {
        if (producers == null) {
            Map<String, Node> p = new HashMap<>();
            for (Node n : nodes) {
                for (String o : n.outputs()) {
                    if (!o.isEmpty()) {
                        p.put(o, n);
                    }
                }
            }
            producers = p;
        }
        return producers;
    }

    private Map<String, List<Node>> consumersIndex() {
        if (consumers == null) {
            Map<String, List<Node>> c = new HashMap<>();
            for (Node n : nodes) {
                for (String in : new java.util.LinkedHashSet<>(readsOf(n))) {
                    if (!in.isEmpty()) {
                        c.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                    }
                }
            }
            consumers = c;
        }
        return consumers;
    }

    /** A node's inputs plus, for nodes with subgraphs, the outer values those subgraphs read. */
    private static List<String> readsOf(Node n) {
        if (!n.hasSubgraphs()) {
            return n.inputs();
        }
        List<String> all = new ArrayList<>(n.inputs());
        for (AttributeProto a : n.attributes().values()) {
            if (a.hasG()) {
                collectOuterReads(a.getG(), all);
            }
            for (GraphProto g : a.getGraphsList()) {
                collectOuterReads(g, all);
            }
        }
        return all;
    }

    private static void collectOuterReads(GraphProto g, List<String> into) {
        Set<String> local = new HashSet<>();
        g.getInputList().forEach(v -> local.add(v.getName()));
        g.getInitializerList().forEach(t -> local.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            local.addAll(n.getOutputList());
        }
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                if (!local.contains(in)) {
                    into.add(in);
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectOuterReads(a.getG(), into);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "OnnxGraph[" + nodes.size() + " nodes, " + initializers.size() + " initializers, ops "
                + opCounts() + "]";
    }

    /** Dims of an initializer or constant, or null. */
    public long[] constantDims(String value) {
        return constant(value).map(Tensors::dims).orElse(null);
    }
}
