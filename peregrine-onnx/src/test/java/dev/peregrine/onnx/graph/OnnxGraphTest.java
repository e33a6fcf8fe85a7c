package dev.peregrine.onnx.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import dev.peregrine.onnx.check.Feed;
import dev.peregrine.onnx.check.OrtCheck;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnnxGraphTest {

    /** y = Relu(x·w + b) * 2, with the factor a Constant node. */
    private static ModelProto linearRelu() {
        GraphBuilder g = new GraphBuilder("linear");
        g.input("x", DataType.FLOAT, "batch", 2);
        g.initializer(Tensors.floats("w", new float[] {1, -1, 2, 0.5f}, 2, 2));
        g.initializer(Tensors.floats("b", new float[] {0.5f, -0.25f}, 2));
        g.initializer(Tensors.floats("unused", new float[] {9}, 1));
        g.node("MatMul", List.of("x", "w"), List.of("mm"));
        g.node("Add", List.of("b", "mm"), List.of("biased"));
        g.node("Relu", List.of("biased"), List.of("act"));
        g.node("Constant", List.of(), List.of("two"), GraphBuilder.attr("value", Tensors.scalar("t", 2.0f)));
        g.node("Mul", List.of("act", "two"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", 2);
        return g.build();
    }

    private static final Map<String, Feed> FEEDS = Map.of("x", Feed.floats(new float[] {1, 2, -3, 0.5f}, 2, 2));

    @Test
    void indexes_findProducersConsumersAndConstants() {
        OnnxGraph g = OnnxGraph.of(linearRelu());

        assertThat(g.producer("biased").opType()).isEqualTo("Add");
        assertThat(g.consumers("mm")).extracting(Node::opType).containsExactly("Add");
        assertThat(g.producer("x")).isNull();
        assertThat(g.isConstant("w")).isTrue();
        assertThat(g.isConstant("x")).isFalse();
        assertThat(g.scalar("two")).contains(2.0);
        assertThat(g.isGraphOutput("y")).isTrue();
    }

    @Test
    void parentPath_backtracksOverAnyInput() {
        OnnxGraph g = OnnxGraph.of(linearRelu());
        Node mul = g.producer("y");

        // Add's MatMul is input 1; -1 must try input 0 (an initializer) and then find it.
        List<Node> path = g.parentPath(mul, new String[] {"Relu", "Add", "MatMul"}, new int[] {0, 0, -1});
        assertThat(path).extracting(Node::opType).containsExactly("Relu", "Add", "MatMul");
        assertThat(g.parentPath(mul, new String[] {"Relu", "MatMul"}, new int[] {0, 0})).isNull();
    }

    @Test
    void replacingTheLastNode_keepsTheGraphOutputNameAndDropsDeadNodes() {
        ModelProto original = linearRelu();
        OnnxGraph g = OnnxGraph.of(original);
        // Replace Relu(z) * 2 by Relu(z + z) ... computed as Add then Relu: same values.
        g.addNode("Add", List.of("biased", "biased"), List.of("doubled"));
        g.addNode("Relu", List.of("doubled"), List.of("y2"));
        g.replaceUses("y", "y2");
        int removed = g.removeDeadNodes();

        ModelProto rewritten = g.toModel();
        assertThat(removed).isEqualTo(3);  // old Relu, Constant, Mul
        assertThat(rewritten.getGraph().getOutput(0).getName()).isEqualTo("y");
        assertThat(rewritten.getGraph().getNodeList()).extracting(NodeProto::getOpType)
                .containsExactly("MatMul", "Add", "Add", "Relu");
        assertThat(rewritten.getGraph().getInitializerList()).extracting(t -> t.getName())
                .containsExactlyInAnyOrder("w", "b");
        assertThat(OrtCheck.compare(original, rewritten, FEEDS).worst()).isLessThan(1e-6);
    }

    @Test
    void toModel_ordersShuffledNodesTopologically() {
        ModelProto original = linearRelu();
        List<NodeProto> nodes = new ArrayList<>(original.getGraph().getNodeList());
        Collections.reverse(nodes);
        ModelProto shuffled = original.toBuilder()
                .setGraph(original.getGraph().toBuilder().clearNode().addAllNode(nodes)).build();

        ModelProto sorted = OnnxGraph.of(shuffled).toModel();

        // Ready nodes keep their given (here reversed) order: the Constant first, the Mul last.
        assertThat(sorted.getGraph().getNodeList()).extracting(NodeProto::getOpType)
                .containsExactly("Constant", "MatMul", "Add", "Relu", "Mul");
        assertThat(OrtCheck.compare(original, sorted, FEEDS).worst()).isZero();
    }

    @Test
    void topologicalSort_namesAValueNothingProduces() {
        OnnxGraph g = OnnxGraph.of(linearRelu());
        g.addNode("Relu", List.of("nowhere"), List.of("z"));

        assertThatThrownBy(g::topologicalSort).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("reads nowhere");
    }

    @Test
    void uniqueName_avoidsEveryExistingName() {
        OnnxGraph g = OnnxGraph.of(linearRelu());

        assertThat(g.uniqueName("w")).isEqualTo("w_1");
        assertThat(g.uniqueName("w")).isEqualTo("w_2");
        assertThat(g.uniqueName("fresh")).isEqualTo("fresh");
    }

    @Test
    void addedContribNode_importsItsDomain() {
        OnnxGraph g = OnnxGraph.of(linearRelu());
        g.addNode("com.microsoft", "Gelu", List.of("biased"), List.of("g"));

        assertThat(g.opset("com.microsoft")).isEqualTo(1);
        assertThat(g.opCounts()).containsEntry("com.microsoft:Gelu", 1);
    }
}
