package dev.peregrine.optimize.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.optimize.bench.ReportFormat;
import dev.peregrine.optimize.testing.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Profiling the default model: real operators, real stages, and times that add up. No speed is asserted. */
class ProfilerTest {

    /**
     * The stages are disjoint intervals on one thread inside the measured total, so they can only
     * fall short of it by the loop's own work (batch planning, list building): stated tolerance 15%.
     */
    static final double STAGE_TOLERANCE = 0.15;

    @Test
    void defaultModel_namesItsOperatorsAndStages_andTheStagesAddUpToTheTotal(@TempDir Path work) {
        List<String> texts = new ArrayList<>(Models.fewTexts());
        texts.addAll(Models.fewTexts());
        List<String> log = new ArrayList<>();

        ProfileReport r = Profiler.run(Models.minilm(), texts, Profiler.Options.defaults(), work, log::add);

        assertThat(r.modes()).hasSize(2);
        for (ProfileReport.Mode m : r.modes()) {
            assertThat(m.stages()).extracting(ProfileReport.Stage::name).containsExactlyElementsOf(Profiler.STAGES);
            assertThat(m.stages()).allSatisfy(s -> assertThat(s.ms()).isPositive());
            assertThat(m.stagesMs()).isLessThanOrEqualTo(m.totalMs());
            assertThat(m.stagesMs()).isGreaterThan(m.totalMs() * (1 - STAGE_TOLERANCE));
            assertThat(m.stagesMs() + m.unaccountedMs()).isCloseTo(m.totalMs(), within(1e-6));
            assertThat(m.stages().stream().mapToDouble(ProfileReport.Stage::share).sum())
                    .isGreaterThan(1 - STAGE_TOLERANCE).isLessThanOrEqualTo(1 + 1e-9);

            // ONNX Runtime's own operators, from its profiler: a BERT-family graph multiplies matrices
            List<String> ops = m.operators().stream().map(ProfileReport.OperatorTime::opType).toList();
            assertThat(ops).contains("LayerNormalization").containsAnyOf("MatMul", "FusedMatMul", "Attention",
                    "MultiHeadAttention");
            assertThat(m.operators()).allSatisfy(o -> assertThat(o.calls()).isPositive());
            assertThat(m.operators().stream().mapToDouble(ProfileReport.OperatorTime::share).sum())
                    .isCloseTo(1.0, within(1e-6));
            assertThat(m.matrixProductShare()).isBetween(0.05, 0.999);
            assertThat(m.kernelMs()).isPositive().isLessThanOrEqualTo(m.profiledRunMs() * 1.01);
            // MiniLM-L6 has six blocks; every one shows up
            assertThat(m.layers()).extracting(ProfileReport.LayerTime::layer)
                    .contains("layer 0", "layer 5").doesNotContain("layer 6");
        }
        ProfileReport.Mode single = r.modes().get(0);
        ProfileReport.Mode batched = r.modes().get(1);
        assertThat(single.passes()).isEqualTo(24);
        assertThat(single.paddingShare()).isZero();
        assertThat(batched.passes()).isLessThan(24);
        assertThat(batched.paddedTokens()).isGreaterThanOrEqualTo(batched.realTokens());
        assertThat(batched.realTokens()).isEqualTo(single.realTokens());
        assertThat(log).anyMatch(l -> l.contains("profiler"));
        try (var files = Files.list(work)) {
            assertThat(files).as("trace files are removed").isEmpty();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        String table = ProfileText.render(r, ReportFormat.TABLE);
        assertThat(table).contains("tokenization").contains("onnx runtime run").contains("matrix products")
                .contains("LayerNormalization");
        assertThat(ProfileText.render(r, ReportFormat.MARKDOWN)).contains("| stage | ms | share |");
        assertThat(ProfileText.render(r, ReportFormat.JSON)).contains("\"matrixProductShare\"");
    }

    @Test
    void trace_countsKernelsInsideRunsAfterTheWarmUp_andCarriesBlocksToFusedNodes() throws Exception {
        String json = """
                [
                 {"cat":"Session","name":"model_run","ts":0,"dur":100,"args":{}},
                 {"cat":"Node","name":"/layer.0/MatMul_kernel_time","ts":10,"dur":50,"args":{"op_name":"MatMul"}},
                 {"cat":"Session","name":"model_run","ts":1000,"dur":500,"args":{}},
                 {"cat":"Node","name":"/embeddings/Gather_kernel_time","ts":1001,"dur":20,"args":{"op_name":"Gather"}},
                 {"cat":"Node","name":"/encoder/layer.0/attention/MatMul_fence_before","ts":1030,"dur":0,"args":{"op_name":"MatMul"}},
                 {"cat":"Node","name":"/encoder/layer.0/attention/MatMul_kernel_time","ts":1030,"dur":200,"args":{"op_name":"MatMul"}},
                 {"cat":"Node","name":"Attention_token_7_kernel_time","ts":1240,"dur":100,"args":{"op_name":"Attention"}},
                 {"cat":"Node","name":"/encoder/layer.1/output/LayerNorm_kernel_time","ts":1350,"dur":80,"args":{"op_name":"LayerNormalization"}},
                 {"cat":"Node","name":"stray_kernel_time","ts":5000,"dur":999,"args":{"op_name":"Add"}}
                ]""";
        OrtTrace t = OrtTrace.parse(new ObjectMapper().readTree(json), 1);
        assertThat(t.runs()).isEqualTo(1);
        assertThat(t.runMicros()).isEqualTo(500);
        assertThat(t.kernelMicros()).isEqualTo(400);
        assertThat(t.nodes()).extracting(OrtTrace.NodeTime::layer).containsExactly(-1, 0, 0, 1);
        assertThat(t.matrixProductShare()).isCloseTo(0.75, within(1e-9));
        assertThat(t.byOperator()).extracting(ProfileReport.OperatorTime::opType)
                .containsExactly("MatMul", "Attention", "LayerNormalization", "Gather");
        assertThat(t.byLayer()).extracting(ProfileReport.LayerTime::layer)
                .containsExactly("before layers", "layer 0", "layer 1");
    }
}
