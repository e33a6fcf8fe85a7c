package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfoCommandTest {

    @TempDir
    Path dir;

    @Test
    void json_describesTheDefaultEmbedder() throws Exception {
        CliRun run = CliRun.of("info", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode info = new ObjectMapper().readTree(run.out());
        assertThat(info.get("task").asText()).isEqualTo("embedding");
        assertThat(info.get("dimension").asInt()).isEqualTo(384);
        assertThat(info.get("max_length").asInt()).isEqualTo(256);
        assertThat(info.get("pooling").asText()).isEqualTo("mean");
        assertThat(info.get("file_size_bytes").asLong()).isEqualTo(90_387_606L);
        assertThat(info.get("inputs")).extracting(n -> n.get("name").asText())
                .containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        assertThat(info.get("onnx_runtime").asText()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(info.get("cpu").get("cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(info.get("cpu").get("int8_target").asText())
                .isEqualTo(dev.peregrine.core.cpu.CpuTarget.detect().id());
        assertThat(info.get("warnings")).isEmpty();
    }

    @Test
    void table_showsLabelsOfAClassifier() throws Exception {
        Path model = Fixtures.tinyClassifier(dir, TinyWeights.of(3, 2), List.of("billing", "technical", "general"), false);
        CliRun run = CliRun.of("info", "-m", model.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("task          classification")
                .contains("labels        billing, technical, general")
                .contains("max length    512 tokens")
                .contains("cpu           " + dev.peregrine.core.cpu.CpuFeatures.detect().summary())
                .contains("int8 target   ");
    }

    @Test
    void models_listsEmbeddedNames() {
        CliRun run = CliRun.of("models");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("all-minilm-l6-v2 ").contains("bge-small-en-v1.5-int8");
    }
}
