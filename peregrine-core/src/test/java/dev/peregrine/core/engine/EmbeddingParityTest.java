package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.peregrine.core.Task;
import dev.peregrine.core.model.Pooling;
import dev.peregrine.core.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our embeddings against an independent implementation: langchain4j's in-process embedders run
 * the same ONNX files through their own tokenization, tensor and pooling code, one text at a time.
 */
class EmbeddingParityTest {

    private static final double MIN_COSINE = 0.9999;

    @Test
    void defaultModel_matchesLangchain4j_onVariedTexts() {
        List<String> texts = Fixtures.variedTexts();
        assertThat(texts).hasSizeGreaterThanOrEqualTo(50);
        try (Engine engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"))) {
            assertThat(engine.info().task()).isEqualTo(Task.EMBEDDING);
            assertThat(engine.info().pooling()).isEqualTo(Pooling.MEAN);
            assertThat(engine.info().normalize()).isTrue();
            assertThat(engine.info().maxLength()).isEqualTo(256);
            assertThat(engine.info().dimension()).isEqualTo(384);

            List<float[]> ours = engine.embed(texts);
            var reference = new AllMiniLmL6V2EmbeddingModel();
            var theirs = reference.embedAll(texts.stream().map(TextSegment::from).toList()).content();
            for (int i = 0; i < texts.size(); i++) {
                double cos = Vectors.cosine(ours.get(i), theirs.get(i).vector());
                assertThat(cos).as("cosine for text %d: %s", i, texts.get(i)).isGreaterThanOrEqualTo(MIN_COSINE);
                assertThat(norm(ours.get(i))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void bgeSmall_usesClsPooling_andMatchesLangchain4j() {
        List<String> texts = Fixtures.variedTexts().subList(0, 30);
        try (Engine engine = Engine.open(Fixtures.resolver().resolve("bge-small-en-v1.5"))) {
            assertThat(engine.info().pooling()).isEqualTo(Pooling.CLS);
            assertThat(engine.info().maxLength()).isEqualTo(512);
            List<float[]> ours = engine.embed(texts);
            var theirs = new BgeSmallEnV15EmbeddingModel()
                    .embedAll(texts.stream().map(TextSegment::from).toList()).content();
            for (int i = 0; i < texts.size(); i++) {
                assertThat(Vectors.cosine(ours.get(i), theirs.get(i).vector()))
                        .as("cosine for text %d", i).isGreaterThanOrEqualTo(MIN_COSINE);
            }
        }
    }

    @Test
    void int8Variant_loads_andStaysCloseToFp32() {
        List<String> texts = Fixtures.variedTexts();
        try (Engine fp32 = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
             Engine int8 = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2-int8"))) {
            assertThat(int8.info().graphMetadata()).containsEntry("onnx.infer", "onnxruntime.quant");
            assertThat(int8.info().fileSizeBytes()).isLessThan(fp32.info().fileSizeBytes() / 3);
            List<float[]> a = fp32.embed(texts);
            List<float[]> b = int8.embed(texts);
            double min = 1;
            for (int i = 0; i < texts.size(); i++) {
                min = Math.min(min, Vectors.cosine(a.get(i), b.get(i)));
            }
            // Quantization moves vectors a little, never far.
            assertThat(min).isBetween(0.90, 0.99999);
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
