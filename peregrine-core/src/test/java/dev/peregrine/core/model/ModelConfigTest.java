package dev.peregrine.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

    @TempDir
    Path dir;

    @Test
    void emptyFolder_getsDefaults() {
        ModelConfig c = ModelConfig.read(dir);
        assertThat(c.labels()).isEmpty();
        assertThat(c.maxLength()).isEqualTo(512);
        assertThat(c.pooling()).isEqualTo(Pooling.MEAN);
        assertThat(c.normalize()).isFalse();
        assertThat(c.multiLabel()).isFalse();
    }

    @Test
    void id2label_givesLabelsInIndexOrder_evenWhenKeysAreUnordered() throws IOException {
        write("config.json", """
                {"model_type":"distilbert","id2label":{"2":"general","0":"billing","1":"technical"},
                 "problem_type":"multi_label_classification","max_position_embeddings":512,"hidden_size":768}""");
        ModelConfig c = ModelConfig.read(dir);
        assertThat(c.labels()).containsExactly("billing", "technical", "general");
        assertThat(c.multiLabel()).isTrue();
        assertThat(c.hiddenSize()).isEqualTo(768);
        assertThat(c.modelType()).isEqualTo("distilbert");
    }

    @Test
    void id2labelWrittenAsAList_isTakenInIndexOrder() throws IOException {
        write("config.json", "{\"id2label\":[\"billing\",\"technical\",\"general\"]}");
        assertThat(ModelConfig.read(dir).labels()).containsExactly("billing", "technical", "general");
    }

    @Test
    void id2labelOfAnotherShape_isAnError_notIgnored() throws IOException {
        write("config.json", "{\"id2label\":[\"billing\",7]}");
        assertThatThrownBy(() -> ModelConfig.read(dir)).isInstanceOf(PeregrineException.class)
                .hasMessageContaining("id2label[1] is number");
        write("config.json", "{\"id2label\":\"billing,technical\"}");
        assertThatThrownBy(() -> ModelConfig.read(dir)).isInstanceOf(PeregrineException.class)
                .hasMessageContaining("id2label must be an object");
        write("config.json", "{\"id2label\":null}");
        assertThat(ModelConfig.read(dir).labels()).isEmpty();
    }

    @Test
    void id2labelWithAGap_isRejected() throws IOException {
        write("config.json", "{\"id2label\":{\"0\":\"a\",\"2\":\"c\"}}");
        assertThatThrownBy(() -> ModelConfig.read(dir)).isInstanceOf(PeregrineException.class)
                .hasMessageContaining("without gaps");
    }

    @Test
    void maxLength_precedence_sbertThenTokenizerThenPositions() throws IOException {
        write("config.json", "{\"model_type\":\"bert\",\"max_position_embeddings\":512}");
        assertThat(ModelConfig.read(dir).maxLength()).isEqualTo(512);
        write("tokenizer_config.json", "{\"model_max_length\":1000000000000000019884624838656}");
        assertThat(ModelConfig.read(dir).maxLength()).as("placeholder ignored").isEqualTo(512);
        write("tokenizer_config.json", "{\"model_max_length\":384}");
        assertThat(ModelConfig.read(dir).maxLength()).isEqualTo(384);
        write("sentence_bert_config.json", "{\"max_seq_length\":128}");
        assertThat(ModelConfig.read(dir).maxLength()).isEqualTo(128);
    }

    @Test
    void robertaPositions_loseTheirTwoOffsetSlots() throws IOException {
        write("config.json", "{\"model_type\":\"xlm-roberta\",\"max_position_embeddings\":514}");
        assertThat(ModelConfig.read(dir).maxLength()).isEqualTo(512);
    }

    @Test
    void sentenceTransformersModules_givePoolingAndNormalize() throws IOException {
        write("modules.json", """
                [{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
                 {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
                 {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]""");
        write("1_Pooling/config.json", "{\"pooling_mode_cls_token\":true,\"pooling_mode_mean_tokens\":false}");
        ModelConfig c = ModelConfig.read(dir);
        assertThat(c.pooling()).isEqualTo(Pooling.CLS);
        assertThat(c.normalize()).isTrue();
    }

    @Test
    void poolingConfigWithoutModulesJson_isStillRead() throws IOException {
        write("1_Pooling/config.json", "{\"pooling_mode_max_tokens\":true}");
        assertThat(ModelConfig.read(dir).pooling()).isEqualTo(Pooling.MAX);
        assertThat(ModelConfig.read(dir).normalize()).isFalse();
    }

    private void write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }
}
