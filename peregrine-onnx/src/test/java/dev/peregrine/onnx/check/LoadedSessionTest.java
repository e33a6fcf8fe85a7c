package dev.peregrine.onnx.check;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.peregrine.onnx.GraphBuilder;
import dev.peregrine.onnx.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadedSessionTest {

    private static ModelProto model() {
        GraphBuilder g = new GraphBuilder("big");
        g.input("x", DataType.FLOAT, "batch", 256);
        g.initializer(Tensors.floats("w", new float[256 * 8], 256, 8));
        g.node("MatMul", List.of("x", "w"), List.of("y"));
        g.output("y", DataType.FLOAT, "batch", 8);
        return g.build();
    }

    @Test
    void modelOverTheLimit_goesThroughATemporaryFileThatIsRemovedOnClose() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path temp;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             LoadedSession s = LoadedSession.open(env, model(), options, 1024)) {
            temp = s.temporaryFolder();
            assertThat(temp).isNotNull();
            assertThat(Files.list(temp).map(p -> p.getFileName().toString())).contains("model.onnx");
            assertThat(s.session().getInputNames()).containsExactly("x");
        }
        assertThat(temp).doesNotExist();
    }

    @Test
    void smallModel_isLoadedFromMemory() throws Exception {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             LoadedSession s = LoadedSession.open(OrtEnvironment.getEnvironment(), model(), options)) {
            assertThat(s.temporaryFolder()).isNull();
        }
    }
}
