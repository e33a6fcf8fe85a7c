package dev.peregrine.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One operator of an {@link OnnxGraph}: its type, domain, name, the values it reads and writes, and
 * its attributes. Changing inputs or outputs goes through this class so that the graph's producer
 * and consumer indexes stay right. Not thread-safe (nor is the graph).
 *
 * <p>An input given as the empty string is an omitted optional input, as in ONNX.
 */
public final class Node {

    private final OnnxGraph graph;
    private final String domain;
    private final String opType;
    private String name;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, AttributeProto> attributes;
    private final String docString;

    Node(OnnxGraph graph, String domain, String opType, String name, List<String> inputs, List<String> outputs,
         Map<String, AttributeProto> attributes, String docString) {
        this.graph = graph;
        this.domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        this.opType = Objects.requireNonNull(opType, "opType");
        this.name = name == null ? "" : name;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.attributes = new LinkedHashMap<>(attributes);
        this.docString = docString == null ? "" : docString;
    }

    static Node fromProto(OnnxGraph graph, NodeProto proto) {
        Map<String, AttributeProto> attrs = new LinkedHashMap<>();
        for (AttributeProto a : proto.getAttributeList()) {
            attrs.put(a.getName(), a);
        }
        return new Node(graph, proto.getDomain(), proto.getOpType(), proto.getName(), proto.getInputList(),
                proto.getOutputList(), attrs, proto.getDocString());
    }

    NodeProto toProto() {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(name)
                .addAllInput(inputs).addAllOutput(outputs).addAllAttribute(attributes.values());
        if (!domain.isEmpty()) {
            b.setDomain(domain);
        }
        if (!docString.isEmpty()) {
            b.setDocString(docString);
        }
        return b.build();
    }

    /** The operator type, such as {@code MatMul}. */
    public String opType() {
        return opType;
    }

    /** The operator domain; {@code ""} for the ONNX default domain. */
    public String domain() {
        return domain;
    }

    /** True when this is {@code opType} in the default domain (or in {@code com.microsoft} for contrib ops). */
    public boolean is(String type) {
        return opType.equals(type);
    }

    public String name() {
        return name;
    }

    public void setName(String newName) {
        this.name = Objects.requireNonNull(newName, "newName");
    }

    /** The inputs, unmodifiable; use {@link #setInput} to change one. */
    public List<String> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    /** The outputs, unmodifiable. */
    public List<String> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    /** Input {@code i}, or {@code ""} when the node has fewer inputs (an omitted optional input). */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public int inputCount() {
        return inputs.size();
    }

    /** Output {@code i}, or {@code ""} when absent. */
    public String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    /** The first output. */
    public String output() {
        return output(0);
    }

    /** Replaces input {@code i} (padding with omitted inputs when {@code i} is past the end). */
    public void setInput(int i, String value) {
        Objects.requireNonNull(value, "value");
        while (inputs.size() <= i) {
            inputs.add("");
        }
        inputs.set(i, value);
        graph.invalidate();
    }

    /**
     * Renames output {@code i}. Readers of the old name are not changed: use
     * {@link OnnxGraph#replaceUses} for that.
     */
    public void setOutput(int i, String value) {
        Objects.requireNonNull(value, "value");
        while (outputs.size() <= i) {
            outputs.add("");
        }
        outputs.set(i, value);
        graph.invalidate();
    }

    /** Replaces every input equal to {@code from} with {@code to}; returns how many were replaced. */
    public int replaceInput(String from, String to) {
        int n = 0;
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).equals(from)) {
                inputs.set(i, to);
                n++;
            }
        }
        if (n > 0) {
            graph.invalidate();
        }
        return n;
    }

    public Map<String, AttributeProto> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    public boolean hasAttribute(String attr) {
        return attributes.containsKey(attr);
    }

    public AttributeProto attribute(String attr) {
        return attributes.get(attr);
    }

    public void setAttribute(AttributeProto value) {
        attributes.put(value.getName(), value);
    }

    public long intAttr(String attr, long fallback) {
        AttributeProto a = attributes.get(attr);
        return a == null ? fallback : a.getI();
    }

    public float floatAttr(String attr, float fallback) {
        AttributeProto a = attributes.get(attr);
        return a == null ? fallback : a.getF();
    }

    /** An INTS attribute, or null when absent. */
    public long[] intsAttr(String attr) {
        AttributeProto a = attributes.get(attr);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** True when the node carries a subgraph (If, Loop, Scan), whose inner nodes may read outer values. */
    boolean hasSubgraphs() {
        for (AttributeProto a : attributes.values()) {
            if (a.hasG() || a.getGraphsCount() > 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return (domain.isEmpty() ? "" : domain + ".") + opType + "[" + name + "](" + String.join(", ", inputs)
                + ") -> " + outputs;
    }
}
