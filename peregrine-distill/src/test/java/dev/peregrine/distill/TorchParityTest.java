package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The PyTorch forward of a teacher equals ONNX Runtime's, padded batch and text by text. */
class TorchParityTest {

    static Path fixture(String name) {
        return Path.of(System.getProperty("peregrine.architectures")).resolve(name);
    }

    static void assertSameRows(ModelFolder folder, List<String> texts, double tolerance) throws Exception {
        try (Engine engine = Engine.open(folder);
             TorchModel torch = TorchModel.load(OnnxModel.read(folder.onnxFile()), engine.info(), 0, 0)) {
            List<EncodedText> encoded = engine.encode(texts);
            float[][] ort = engine.forward(encoded);
            float[][] pt = torch.rows(encoded);
            assertThat(pt.length).isEqualTo(ort.length);
            for (int i = 0; i < ort.length; i++) {
                assertThat(pt[i]).hasSize(ort[i].length);
                for (int j = 0; j < ort[i].length; j++) {
                    assertThat((double) pt[i][j]).as("text %d, value %d", i, j).isCloseTo(ort[i][j],
                            org.assertj.core.data.Offset.offset(tolerance));
                }
            }
            float[][] alone = torch.rows(encoded.subList(0, 1));
            for (int j = 0; j < alone[0].length; j++) {
                assertThat((double) alone[0][j]).isCloseTo(ort[0][j], org.assertj.core.data.Offset.offset(tolerance));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-base-opset14", "bert-base-opset17", "bert-classifier-opset14",
            "bert-classifier-opset17", "distilbert-base-opset17", "distilbert-classifier-opset14",
            "bert-sdpa-base-opset17"})
    void fixtureForwardEqualsOnnxRuntime(String name) throws Exception {
        assertSameRows(ModelFolder.open(fixture(name)), Fixtures.variedTexts().subList(0, 6), 1e-4);
    }

    @Test
    void weightsLiveInPyTorchsAlignedMemory_notInJavasBuffers() throws Exception {
        // DJL wraps a Java direct buffer without copying it, at whatever address malloc gave: 16-byte
        // aligned, and a different offset from one allocation to the next. MKL's matrix products round
        // differently by their operands' alignment on Intel CPUs, so one seed gave two students in
        // one JVM (the second distillation's weights landed elsewhere). PyTorch's own allocator
        // aligns every tensor to 64 bytes.
        ModelFolder folder = ModelFolder.open(fixture("distilbert-base-opset17"));
        try (Engine engine = Engine.open(folder);
             TorchModel torch = TorchModel.load(OnnxModel.read(folder.onnxFile()), engine.info(), 0, 0)) {
            assertThat(torch.parameters()).isNotEmpty();
            torch.parameters().forEach((name, array) -> assertThat(address(array) % 64).as(name).isZero());
        }
    }

    /** The native address of a tensor's data. */
    static long address(ai.djl.ndarray.NDArray array) {
        java.nio.ByteBuffer view = ((ai.djl.pytorch.engine.PtNDArray) array).toByteBuffer(true);
        assertThat(view.isDirect()).isTrue();
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe unsafe = (sun.misc.Unsafe) f.get(null);
            return unsafe.getLong(view, unsafe.objectFieldOffset(java.nio.Buffer.class.getDeclaredField("address")));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void minilmForwardEqualsOnnxRuntime() throws Exception {
        assertSameRows(Fixtures.resolver().resolve("all-minilm-l6-v2"), Fixtures.variedTexts().subList(0, 8), 1e-4);
    }
}
