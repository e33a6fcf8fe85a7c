package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompts and Matryoshka dimensions as a model folder declares them. */
class EmbeddingConfigTest {

    @TempDir
    Path dir;

    @Test
    void aFolderWithoutDeclarations_hasNoPromptsAndNoMatryoshka() {
        EmbeddingConfig c = EmbeddingConfig.read(dir);
        assertThat(c).isEqualTo(EmbeddingConfig.NONE);
        assertThat(c.matryoshka()).isFalse();
    }

    @Test
    void sentenceTransformersPrompts_theirDefault_andMatryoshkaDims_areRead() throws Exception {
        Files.writeString(dir.resolve("config_sentence_transformers.json"), """
                {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": "query",
                 "similarity_fn_name": "cosine", "matryoshka_dims": [384, 256, 128, 64]}""");
        EmbeddingConfig c = EmbeddingConfig.read(dir);
        assertThat(c.prompts()).containsExactly(Map.entry("query", "query: "), Map.entry("passage", "passage: "));
        assertThat(c.defaultPromptName()).isEqualTo("query");
        assertThat(c.matryoshkaDimensions()).containsExactly(384, 256, 128, 64);
        assertThat(c.matryoshka()).isTrue();
    }

    @Test
    void matryoshkaDimensions_mayBeDeclaredInConfigJson() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\", \"matryoshka_dimensions\": [768, 64]}");
        assertThat(EmbeddingConfig.read(dir).matryoshkaDimensions()).containsExactly(768, 64);
    }

    @Test
    void malformedDeclarations_areRefusedNamingWhatIsWrong() throws Exception {
        Path st = dir.resolve("config_sentence_transformers.json");
        Files.writeString(st, "{\"prompts\": {\"query\": 3}}");
        assertThatThrownBy(() -> EmbeddingConfig.read(dir)).hasMessageContaining("prompt 'query' is not a string");
        Files.writeString(st, "{\"prompts\": {\"query\": \"q: \"}, \"default_prompt_name\": \"doc\"}");
        assertThatThrownBy(() -> EmbeddingConfig.read(dir)).hasMessageContaining("default_prompt_name 'doc'");
        Files.writeString(st, "{\"matryoshka_dims\": [64, -1]}");
        assertThatThrownBy(() -> EmbeddingConfig.read(dir)).hasMessageContaining("positive integers");
        Files.writeString(st, "{\"matryoshka_dims\": [");
        assertThatThrownBy(() -> EmbeddingConfig.read(dir)).hasMessageContaining("not valid JSON");
    }
}
