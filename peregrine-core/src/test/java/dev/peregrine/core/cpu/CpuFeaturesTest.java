package dev.peregrine.core.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.engine.LoadWarnings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing committed /proc/cpuinfo samples, the target each CPU gets, and the load-time warnings. */
class CpuFeaturesTest {

    private static CpuFeatures sample(String name) {
        try (InputStream in = CpuFeaturesTest.class.getResourceAsStream("/cpuinfo/" + name)) {
            return CpuFeatures.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "unknown");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static final CpuFeatures EPYC = sample("epyc-7r32-avx2.txt");
    static final CpuFeatures XEON = sample("xeon-8259cl-vnni.txt");
    static final CpuFeatures GRAVITON = sample("graviton2-neoverse-n1.txt");

    @Test
    void avx2OnlyEpyc_hasAvx2ButNoAvx512OrVnni_andSaturates() {
        assertThat(EPYC.x86()).isTrue();
        assertThat(EPYC.modelName()).isEqualTo("AMD EPYC 7R32");
        assertThat(EPYC.cores()).isEqualTo(2);
        assertThat(EPYC.int8InstructionSets()).containsExactly("AVX2");
        assertThat(EPYC.int8Accumulates32()).isFalse();
        assertThat(CpuTarget.of(EPYC)).isEqualTo(CpuTarget.AVX2);
        assertThat(EPYC.summary()).contains("AMD EPYC 7R32").contains("AVX2").contains("saturate");
    }

    @Test
    void cascadeLakeXeon_hasAvx512Vnni() {
        assertThat(XEON.int8InstructionSets()).containsExactly("AVX2", "AVX-512F/BW", "AVX-512 VNNI");
        assertThat(XEON.int8Accumulates32()).isTrue();
        assertThat(CpuTarget.of(XEON)).isEqualTo(CpuTarget.AVX512_VNNI);
        assertThat(XEON.summary()).doesNotContain("saturate");
    }

    @Test
    void graviton2_isArm64WithDotProduct_namedByItsCore() {
        assertThat(GRAVITON.arm64()).isTrue();
        assertThat(GRAVITON.modelName()).isEqualTo("ARM Neoverse-N1");
        assertThat(GRAVITON.int8InstructionSets()).containsExactly("NEON", "dot product");
        assertThat(GRAVITON.armI8mm()).isFalse();
        assertThat(CpuTarget.of(GRAVITON)).isEqualTo(CpuTarget.ARM64_DOT);
    }

    @Test
    void amxAndAvxVnniAndAvx512WithoutVnni_getTheirTargets() {
        assertThat(CpuTarget.of(CpuFeatures.parse("model name: x\nflags: sse2 avx2 avx512f avx512bw avx512_vnni "
                + "amx_tile amx_int8 amx_bf16\n", "x86_64"))).isEqualTo(CpuTarget.AMX);
        assertThat(CpuTarget.of(CpuFeatures.parse("flags: sse2 avx2 avx_vnni\n", "x86_64")))
                .isEqualTo(CpuTarget.AVX_VNNI);
        assertThat(CpuTarget.of(CpuFeatures.parse("flags: sse2 avx2 avx512f avx512bw\n", "x86_64")))
                .isEqualTo(CpuTarget.AVX512);
        assertThat(CpuTarget.of(CpuFeatures.parse("Features: fp asimd\n", "aarch64"))).isEqualTo(CpuTarget.ARM64);
    }

    @Test
    void unreadableCpu_isUnknown_andGetsTheSafeTarget() {
        CpuFeatures none = CpuFeatures.parse("", "amd64");
        assertThat(none.known()).isFalse();
        assertThat(none.arch()).isEqualTo("x86_64");
        assertThat(none.summary()).contains("unknown");
        assertThat(CpuTarget.of(none)).isEqualTo(CpuTarget.AVX2);
        assertThat(CpuTarget.AVX512_VNNI.missingOn(none)).isEmpty();
    }

    @Test
    void thisMachine_isDetected() {
        CpuFeatures here = CpuFeatures.detect();
        assertThat(here.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(here.summary()).isNotBlank();
        assertThat(CpuTarget.parse("auto", here)).isEqualTo(CpuTarget.of(here));
    }

    @Test
    void targetNames_parse_andUnknownNamesListTheChoices() {
        assertThat(CpuTarget.parse("AVX512_VNNI", EPYC)).isEqualTo(CpuTarget.AVX512_VNNI);
        assertThat(CpuTarget.parse("arm64-dot", EPYC)).isEqualTo(CpuTarget.ARM64_DOT);
        assertThat(CpuTarget.parse("auto", GRAVITON)).isEqualTo(CpuTarget.ARM64_DOT);
        assertThatThrownBy(() -> CpuTarget.parse("pentium", EPYC))
                .hasMessageContaining("auto, avx2, avx512, avx512-vnni");
    }

    @Test
    void missingFeatures_areNamed() {
        assertThat(CpuTarget.AVX512_VNNI.missingOn(EPYC)).containsExactly("AVX-512F/BW", "AVX-512 VNNI");
        assertThat(CpuTarget.AVX2.missingOn(XEON)).isEmpty();
        assertThat(CpuTarget.AVX2.missingOn(GRAVITON)).containsExactly("x86-64");
        assertThat(CpuTarget.ARM64_DOT.missingOn(GRAVITON)).isEmpty();
    }

    @Test
    void vnniModelOnAvx2Cpu_warnsAndNamesTheFix_whileAnAvx2ModelOnVnniDoesNot() {
        Map<String, String> vnniModel = Map.of(CpuTarget.METADATA_KEY, "avx512-vnni",
                LoadWarnings.WEIGHT_RANGE_KEY, "full");

        assertThat(LoadWarnings.of("m", vnniModel, EPYC)).singleElement().asString()
                .contains("quantized for avx512-vnni").contains("AMD EPYC 7R32").contains("AVX-512 VNNI")
                .contains("saturate").contains("--target-cpu auto");
        assertThat(LoadWarnings.of("m", vnniModel, XEON)).isEmpty();
        assertThat(LoadWarnings.of("m", Map.of(CpuTarget.METADATA_KEY, "avx2",
                LoadWarnings.WEIGHT_RANGE_KEY, "reduced"), XEON)).isEmpty();
        assertThat(LoadWarnings.of("m", Map.of(), EPYC)).isEmpty();
    }

    @Test
    void modelThatFailedItsGate_warnsEverywhere() {
        assertThat(LoadWarnings.of("m", Map.of(LoadWarnings.FIDELITY_KEY, "FAILED: mean cosine 0.98 < 0.99"), XEON))
                .singleElement().asString().contains("failed its fidelity check");
    }
}
