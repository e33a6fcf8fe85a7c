package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The variant rule, on paths and on a folder on disk (ModelFolder must keep choosing as before). */
class OnnxVariantsTest {

    @TempDir
    Path dir;

    @Test
    void choose_followsTheDocumentedOrder() {
        List<String> paths = List.of("onnx/model.onnx", "onnx/model_quantized.onnx", "model_fp16.onnx", "deep/x.onnx");
        assertThat(OnnxVariants.choose(paths, null)).contains("onnx/model.onnx");
        assertThat(OnnxVariants.choose(paths, "quantized")).contains("onnx/model_quantized.onnx");
        assertThat(OnnxVariants.choose(paths, "fp16")).contains("model_fp16.onnx");
        assertThat(OnnxVariants.choose(paths, "./deep/x.onnx")).contains("deep/x.onnx");
        assertThat(OnnxVariants.choose(paths, "int4")).isEmpty();
        assertThat(OnnxVariants.choose(List.of("onnx/a.onnx", "onnx/b.onnx"), null)).isEqualTo(Optional.empty());
        assertThat(OnnxVariants.choose(List.of("onnx/a.onnx", "deep/b.onnx"), null)).contains("onnx/a.onnx");
    }

    private void touch(String relative) throws IOException {
        Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
    }

    @Test
    void modelFolder_choosesTheSameFilesOnDisk() throws IOException {
        touch("tokenizer.json");
        touch("onnx/model.onnx");
        touch("onnx/model_quantized.onnx");
        touch("other/custom.onnx");
        assertThat(ModelFolder.open(dir).onnxFile()).isEqualTo(dir.resolve("onnx/model.onnx"));
        assertThat(ModelFolder.open(dir, "quantized", null).variant()).isEqualTo("model_quantized");
        assertThat(ModelFolder.open(dir, "other/custom.onnx", null).onnxFile()).isEqualTo(dir.resolve("other/custom.onnx"));
        assertThatThrownBy(() -> ModelFolder.open(dir, "fp16", null))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("no variant 'fp16' in " + dir + " (variants here: model, model_quantized)");
    }

    @Test
    void modelFolder_withSeveralVariantsAndNoDefault_asksForOne() throws IOException {
        touch("tokenizer.json");
        touch("onnx/model_a.onnx");
        touch("onnx/model_b.onnx");
        assertThatThrownBy(() -> ModelFolder.open(dir))
                .hasMessage("no model.onnx in " + dir + " and several other variants; choose one with --variant: "
                        + "model_a, model_b");
    }
}
