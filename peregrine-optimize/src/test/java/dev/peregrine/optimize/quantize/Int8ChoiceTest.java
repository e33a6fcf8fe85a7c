package dev.peregrine.optimize.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.onnx.check.OrtCheck;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.testing.TinyBert;
import org.junit.jupiter.api.Test;

/** The INT8 format chosen per CPU: a pure function from the CPU's features to the choice. */
class Int8ChoiceTest {

    private static Int8Choice choiceFor(String flags) {
        return Int8Choice.forTarget(CpuTarget.of(CpuFeatures.parse("flags: sse2 " + flags + "\n", "x86_64")));
    }

    @Test
    void x86WithoutVnni_getsSevenBitWeights() {
        assertThat(choiceFor("avx2").reducedRange()).isTrue();
        assertThat(choiceFor("avx2 avx512f avx512bw").reducedRange()).isTrue();
        assertThat(choiceFor("avx2").target()).isEqualTo(CpuTarget.AVX2);
        assertThat(choiceFor("avx2").reason()).contains("saturate");
        assertThat(choiceFor("avx2").weightRange()).isEqualTo("reduced");
    }

    @Test
    void vnniAmxAndArm_getFullRangeWeights() {
        assertThat(choiceFor("avx2 avx512f avx512bw avx512_vnni").reducedRange()).isFalse();
        assertThat(choiceFor("avx2 avx_vnni").reducedRange()).isFalse();
        assertThat(choiceFor("avx2 avx512f avx512bw avx512_vnni amx_tile amx_int8").reducedRange()).isFalse();
        assertThat(Int8Choice.forTarget(CpuTarget.of(CpuFeatures.parse("Features: fp asimd asimddp\n", "aarch64")))
                .reducedRange()).isFalse();
        assertThat(Int8Choice.forTarget(CpuTarget.ARM64).weightRange()).isEqualTo("full");
    }

    @Test
    void everyTarget_hasAChoice_andOptionsFollowIt() {
        for (CpuTarget t : CpuTarget.values()) {
            QuantizeOptions q = QuantizeOptions.recommendedFor(t);
            assertThat(q.target()).isEqualTo(t);
            assertThat(q.reduceRange()).as(t.id()).isEqualTo(t.saturatingInt8());
            assertThat(q.perChannel()).isTrue();
        }
        assertThat(QuantizeOptions.recommended().target()).isEqualTo(CpuTarget.detect());
    }

    @Test
    void avx2Target_writesSevenBitWeights_thatStayClose() {
        ModelProto original = TinyBert.build();
        ModelProto fused = TransformerOptimizer.optimize(original, FusionOptions.defaults()).model();

        Int8Quantizer.Result r = Int8Quantizer.quantize(fused, QuantizeOptions.recommendedFor(CpuTarget.AVX2)
                .withSmoothing(Smoothing.off()));

        int largest = 0;
        int weights = 0;
        for (TensorProto t : r.model().getGraph().getInitializerList()) {
            if (t.getDataType() == DataType.INT8.getNumber()) {
                weights++;
                for (byte b : t.getRawData().toByteArray()) {
                    largest = Math.max(largest, Math.abs(b));
                }
            }
        }
        assertThat(weights).isPositive();
        assertThat(largest).isEqualTo(63);
        OrtCheck.Comparison c = OrtCheck.compare(original, r.model(), TinyBert.feeds());
        assertThat(c.worst()).isLessThan(0.1);
    }
}
