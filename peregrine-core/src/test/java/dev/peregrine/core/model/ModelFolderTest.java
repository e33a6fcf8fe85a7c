package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

    @TempDir
    Path dir;

    @Test
    void prefersRootModelOnnx_thenOnnxSubfolder() throws IOException {
        touch("tokenizer.json", "onnx/model.onnx", "onnx/model_quantized.onnx");
        assertThat(ModelFolder.open(dir).onnxFile()).isEqualTo(dir.resolve("onnx/model.onnx"));
        touch("model.onnx");
        assertThat(ModelFolder.open(dir).onnxFile()).isEqualTo(dir.resolve("model.onnx"));
        assertThat(ModelFolder.open(dir).variant()).isEqualTo("model");
    }

    @Test
    void variant_acceptsShortLongAndPathForms() throws IOException {
        touch("tokenizer.json", "onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/model_fp16.onnx");
        assertThat(ModelFolder.open(dir, "quantized", null).onnxFile()).isEqualTo(dir.resolve("onnx/model_quantized.onnx"));
        assertThat(ModelFolder.open(dir, "model_fp16", null).variant()).isEqualTo("model_fp16");
        assertThat(ModelFolder.open(dir, "onnx/model_fp16.onnx", null).onnxFile()).isEqualTo(dir.resolve("onnx/model_fp16.onnx"));
        assertThat(ModelFolder.variants(dir)).containsExactly("model", "model_fp16", "model_quantized");
    }

    @Test
    void unknownVariant_listsTheVariantsThatExist() throws IOException {
        touch("tokenizer.json", "onnx/model.onnx", "onnx/model_quantized.onnx");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir, "int4", null),
                "no variant 'int4'", "model, model_quantized");
    }

    @Test
    void singleOddlyNamedOnnxFile_isUsed_butSeveralNeedAChoice() throws IOException {
        touch("tokenizer.json", "encoder.onnx");
        assertThat(ModelFolder.open(dir).variant()).isEqualTo("encoder");
        touch("decoder.onnx");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir), "choose one with --variant", "decoder, encoder");
    }

    @Test
    void userErrors_eachHaveTheirOwnMessage() throws IOException {
        expect(ErrorKind.MODEL_NOT_FOUND, () -> ModelFolder.open(dir.resolve("missing")), "no such model folder");
        Files.writeString(dir.resolve("file.txt"), "x");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir.resolve("file.txt")), "is a file, not a model folder");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir), "no ONNX file in");
        touch("model.onnx");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir), "no tokenizer.json in");
    }

    @Test
    void corruptOnnxFile_failsAtLoadWithAOneLineMessage() throws IOException {
        touch("tokenizer.json");
        Files.writeString(dir.resolve("model.onnx"), "this is not protobuf");
        ModelFolder folder = ModelFolder.open(dir);
        expect(ErrorKind.MODEL_INVALID, () -> Engine.open(folder), "is not a loadable ONNX model");
    }

    @Test
    void brokenConfigJson_isNamed() throws IOException {
        touch("tokenizer.json", "model.onnx");
        Files.writeString(dir.resolve("config.json"), "{ not json");
        expect(ErrorKind.MODEL_INVALID, () -> ModelFolder.open(dir), "config.json", "is not valid JSON");
    }

    private void touch(String... names) throws IOException {
        for (String name : names) {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            if (!Files.exists(p)) {
                Files.writeString(p, "{}");
            }
        }
    }

    private static void expect(ErrorKind kind, ThrowingCallable call, String... fragments) {
        assertThatThrownBy(call)
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(kind))
                .satisfies(e -> {
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                    assertThat(e.getMessage()).doesNotContain("\n");
                });
    }

    @Test
    void outputElsewhere_refusesTheSourceFolderHoweverItIsNamed_andAllowsAnyOther() throws IOException {
        touch("tokenizer.json", "model.onnx");
        ModelFolder m = ModelFolder.open(dir);
        Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-link"), dir);
        try {
            for (Path same : new Path[] {dir, dir.resolve("sub/.."), link}) {
                assertThatThrownBy(() -> m.requireOutputElsewhere(same)).as(same.toString())
                        .isInstanceOfSatisfying(PeregrineException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_INPUT);
                            assertThat(e.getMessage()).contains("--out must be a new folder");
                        });
            }
        } finally {
            Files.delete(link);
        }
        m.requireOutputElsewhere(dir.resolve("student"));          // inside it, new: fine
        m.requireOutputElsewhere(dir.resolveSibling("elsewhere")); // not there yet: fine
    }
}
