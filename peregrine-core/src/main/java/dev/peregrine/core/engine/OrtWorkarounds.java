package dev.peregrine.core.engine;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Runtime optimizers that must be switched off for a given graph because they crash the
 * process (a native fault, which no Java code can catch) rather than fail.
 *
 * <p>Known case: ONNX Runtime 1.28's {@code SkipLayerNormFusion} (level extended and above) faults on
 * a {@code LayerNormalization} without a bias input, which is what torch exports at opset 17 for a
 * bias-free LayerNorm (ModernBERT and other recent encoders). Disabling that one fusion for such
 * graphs costs nothing on the others.
 *
 * <p>The graph is scanned with protobuf's streaming reader, reading node types and input counts and
 * skipping initializers unread, so a large model is not loaded into memory twice.
 */
final class OrtWorkarounds {

    static final String SKIP_LAYER_NORM_FUSION = "SkipLayerNormFusion";

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OP_TYPE = 4;

    private OrtWorkarounds() {
    }

    /** ONNX Runtime optimizer names to disable for this model file (empty when none, or unreadable). */
    static List<String> optimizersToDisable(Path onnxFile) {
        List<String> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(onnxFile)) {
            if (hasBiasFreeLayerNorm(in)) {
                out.add(SKIP_LAYER_NORM_FUSION);
            }
        } catch (IOException | RuntimeException e) {
            // Not our job to reject the file: ONNX Runtime reports a broken model with a clear error.
        }
        return out;
    }

    private static boolean hasBiasFreeLayerNorm(InputStream in) throws IOException {
        CodedInputStream model = CodedInputStream.newInstance(in);
        model.setSizeLimit(Integer.MAX_VALUE);
        while (true) {
            int tag = model.readTag();
            if (tag == 0) {
                return false;
            }
            if (WireFormat.getTagFieldNumber(tag) != MODEL_GRAPH) {
                model.skipField(tag);
                continue;
            }
            int limit = model.pushLimit(model.readRawVarint32());
            boolean found = false;
            while (!model.isAtEnd()) {
                int graphTag = model.readTag();
                if (WireFormat.getTagFieldNumber(graphTag) == GRAPH_NODE) {
                    found |= isBiasFreeLayerNorm(model.readByteArray());
                } else {
                    model.skipField(graphTag);
                }
            }
            model.popLimit(limit);
            return found;
        }
    }

    /** A LayerNormalization node with fewer than three inputs, or an empty third one. */
    private static boolean isBiasFreeLayerNorm(byte[] nodeBytes) throws IOException {
        CodedInputStream node = CodedInputStream.newInstance(nodeBytes);
        List<String> inputs = new ArrayList<>(3);
        String opType = "";
        while (true) {
            int tag = node.readTag();
            if (tag == 0) {
                break;
            }
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(node.readString());
                case NODE_OP_TYPE -> opType = node.readString();
                default -> node.skipField(tag);
            }
        }
        return opType.equals("LayerNormalization") && (inputs.size() < 3 || inputs.get(2).isEmpty());
    }
}
