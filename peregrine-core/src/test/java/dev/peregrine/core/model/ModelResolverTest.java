package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelResolverTest {

    @TempDir
    Path dir;

    @Test
    void embeddedNames_areExtractedOnce_intoOrdinaryModelFolders() throws IOException {
        ModelResolver resolver = Fixtures.resolver();
        assertThat(resolver.namedModels()).containsKeys("all-minilm-l6-v2", "all-minilm-l6-v2-int8",
                "bge-small-en-v1.5", "bge-small-en-v1.5-int8");
        ModelFolder folder = resolver.resolve(null);
        assertThat(folder.name()).isEqualTo(EmbeddedModels.DEFAULT_MODEL);
        assertThat(folder.root()).startsWith(Fixtures.home().embedded());
        assertThat(Files.size(folder.onnxFile())).isEqualTo(90_387_606L);
        assertThat(folder.config().pooling()).isEqualTo(Pooling.MEAN);
        assertThat(folder.config().normalize()).isTrue();
        long modified = Files.getLastModifiedTime(folder.onnxFile()).toMillis();
        assertThat(Files.getLastModifiedTime(resolver.resolve("all-minilm-l6-v2").onnxFile()).toMillis())
                .as("second resolve reuses the extracted copy").isEqualTo(modified);
        assertThat(resolver.resolve("bge-small-en-v1.5").config().pooling()).isEqualTo(Pooling.CLS);
    }

    @Test
    void pathToAnOnnxFile_opensItsFolderWithThatVariant() throws IOException {
        Files.createDirectories(dir.resolve("onnx"));
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        Files.writeString(dir.resolve("onnx/model_quantized.onnx"), "x");
        Files.writeString(dir.resolve("onnx/model.onnx"), "x");
        ModelFolder folder = Fixtures.resolver().resolve(dir.resolve("onnx/model_quantized.onnx").toString());
        assertThat(folder.root()).isEqualTo(dir.toAbsolutePath());
        assertThat(folder.variant()).isEqualTo("model_quantized");
    }

    @Test
    void unknownName_listsTheKnownOnes_andHubIdsPointToPull() {
        ModelResolver resolver = Fixtures.resolver();
        assertThatThrownBy(() -> resolver.resolve("no-such-model"))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("known: all-minilm-l6-v2");
        assertThatThrownBy(() -> resolver.resolve("acme/ticket-bert"))
                .hasMessageContaining("peregrine pull acme/ticket-bert");
        assertThatThrownBy(() -> resolver.resolve("./missing-folder"))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_NOT_FOUND))
                .hasMessageContaining("no such model folder or file");
    }

    @Test
    void pulledHubModel_isFoundUnderItsId() throws IOException {
        PeregrineHome home = PeregrineHome.at(dir);
        Path pulled = home.hubModel("acme/tiny", "v2");
        assertThat(pulled).isEqualTo(dir.resolve("hub/acme/tiny@v2"));
        Files.createDirectories(pulled);
        Files.writeString(pulled.resolve("tokenizer.json"), "{}");
        Files.writeString(pulled.resolve("model.onnx"), "x");
        ModelFolder folder = new ModelResolver(home, List.of()).resolve("acme/tiny@v2");
        assertThat(folder.root()).isEqualTo(pulled);
        assertThat(folder.name()).isEqualTo("acme/tiny@v2");
    }

    @Test
    void extraProviders_addNames() throws IOException {
        Path built = Files.createDirectories(dir.resolve("built"));
        Files.writeString(built.resolve("tokenizer.json"), "{}");
        Files.writeString(built.resolve("model.onnx"), "x");
        NamedModelProvider provider = new NamedModelProvider() {
            @Override
            public Map<String, String> models() {
                return Map.of("ticket-classifier", "test provider");
            }

            @Override
            public Optional<Path> folder(String name, PeregrineHome home) {
                return name.equals("ticket-classifier") ? Optional.of(built) : Optional.empty();
            }
        };
        ModelResolver resolver = new ModelResolver(PeregrineHome.at(dir), List.of(provider));
        assertThat(resolver.resolve("ticket-classifier").root()).isEqualTo(built);
        assertThat(resolver.namedModels()).containsOnlyKeys("ticket-classifier");
    }

    @Test
    void needsBuilding_onlyForANamedModelItsProviderHasNotMaterialized(@org.junit.jupiter.api.io.TempDir Path dir) {
        boolean[] built = {false};
        NamedModelProvider provider = new NamedModelProvider() {
            @Override
            public Map<String, String> models() {
                return Map.of("trained-on-first-use", "test provider");
            }

            @Override
            public Optional<Path> folder(String name, PeregrineHome home) {
                throw new AssertionError("needsBuilding must not build");
            }

            @Override
            public boolean materialized(String name, PeregrineHome home) {
                return built[0];
            }
        };
        ModelResolver resolver = new ModelResolver(PeregrineHome.at(dir), List.of(new EmbeddedModels(), provider));
        assertThat(resolver.needsBuilding("trained-on-first-use")).isTrue();
        built[0] = true;
        assertThat(resolver.needsBuilding("trained-on-first-use")).isFalse();
        assertThat(resolver.needsBuilding("all-minilm-l6-v2")).as("extracting is not building").isFalse();
        assertThat(resolver.needsBuilding(dir.toString())).as("a folder").isFalse();
        assertThat(resolver.needsBuilding("no-such-model")).isFalse();
    }

    @Test
    void home_followsEnvironmentPrecedence() {
        assertThat(PeregrineHome.fromEnvironment(null, Map.of("PEREGRINE_HOME", "/p", "XDG_CACHE_HOME", "/x"), "/u").root())
                .isEqualTo(Path.of("/p"));
        assertThat(PeregrineHome.fromEnvironment("/prop", Map.of("PEREGRINE_HOME", "/p"), "/u").root())
                .isEqualTo(Path.of("/prop"));
        assertThat(PeregrineHome.fromEnvironment(null, Map.of("XDG_CACHE_HOME", "/x"), "/u").root()).isEqualTo(Path.of("/x/peregrine"));
        assertThat(PeregrineHome.fromEnvironment(null, Map.of(), "/u").root()).isEqualTo(Path.of("/u/.cache/peregrine"));
    }
}
