package dev.peregrine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFingerprintTest {

    @TempDir
    Path tmp;

    /** A copy of the tiny test model's folder. */
    private ModelFolder copy(String name) throws IOException {
        Path source = TinyModel.shared().folder.root();
        Path target = tmp.resolve(name);
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
        return ModelFolder.open(target);
    }

    @Test
    void copiesInDifferentPlaces_haveTheSameFingerprint() throws IOException {
        String a = ModelFingerprint.of(copy("a"));
        assertThat(a).matches("[0-9a-f]{64}");
        assertThat(ModelFingerprint.of(copy("b"))).isEqualTo(a);
    }

    @Test
    void anyChangedByte_changesTheFingerprint() throws IOException {
        String base = ModelFingerprint.of(copy("base"));
        for (String file : new String[] {"model.onnx", "tokenizer.json", "config.json"}) {
            ModelFolder folder = copy("changed-" + file);
            byte[] bytes = Files.readAllBytes(folder.root().resolve(file));
            bytes[bytes.length / 2] ^= 1;
            Files.write(folder.root().resolve(file), bytes);
            assertThat(ModelFingerprint.of(folder)).as(file).isNotEqualTo(base);
        }
    }

    @Test
    void externalDataAndOptionalFiles_countWhenPresent() throws IOException {
        String base = ModelFingerprint.of(copy("base"));
        ModelFolder withData = copy("data");
        Files.writeString(withData.root().resolve("model.onnx_data"), "weights");
        assertThat(ModelFingerprint.of(withData)).isNotEqualTo(base);

        ModelFolder withPooling = copy("pooling");
        Files.createDirectories(withPooling.root().resolve("1_Pooling"));
        Files.writeString(withPooling.root().resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": true}");
        assertThat(ModelFingerprint.of(withPooling)).isNotEqualTo(base);

        ModelFolder unrelated = copy("readme");
        Files.writeString(unrelated.root().resolve("README.md"), "notes");
        assertThat(ModelFingerprint.of(unrelated)).isEqualTo(base);
    }

    @Test
    void fileBoundaries_matter() throws IOException {
        Path a = Files.writeString(tmp.resolve("a"), "ab");
        Path b = Files.writeString(tmp.resolve("b"), "c");
        Path c = Files.writeString(tmp.resolve("c"), "a");
        Path d = Files.writeString(tmp.resolve("d"), "bc");
        assertThat(ModelFingerprint.of(a, b)).isNotEqualTo(ModelFingerprint.of(c, d));
        assertThat(ModelFingerprint.of(a, b)).isEqualTo(ModelFingerprint.of(a, b)).isNotEqualTo(ModelFingerprint.of(b, a));
        Files.writeString(a, "x", StandardOpenOption.APPEND);
        assertThat(ModelFingerprint.of(a, b)).isNotEqualTo(ModelFingerprint.of(c, d));
    }

    @Test
    void missingFile_isAnIoErrorNamingIt() {
        Path missing = tmp.resolve("nope.onnx");
        assertThatThrownBy(() -> ModelFingerprint.of(missing))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("nope.onnx")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.IO));
    }
}
