package dev.peregrine.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming read of a tokenizer.json's ids gives what reading the whole tree gives, on every family's file. */
class VocabularyTest {

    @TempDir
    Path dir;

    /** The facts read the slow, obvious way: the whole document as a tree. */
    private static Vocabulary fromTree(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        long unknown = model.path("unk_id").isIntegralNumber() ? model.get("unk_id").asLong()
                : model.path("unk_token").isTextual() && vocab.has(model.get("unk_token").asText())
                ? vocab.get(model.get("unk_token").asText()).asLong() : -1;
        long size = 0;
        if (vocab.isObject()) {
            for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                size = Math.max(size, id.asLong() + 1);
            }
        } else if (vocab.isArray()) {
            size = vocab.size();
        }
        Set<Long> special = new HashSet<>();
        for (JsonNode added : root.path("added_tokens")) {
            size = Math.max(size, added.path("id").asLong(-1) + 1);
            if (added.path("special").asBoolean(false)) {
                special.add(added.path("id").asLong(-1));
            }
        }
        return new Vocabulary(unknown, size, special);
    }

    @Test
    void everyArchitectureFixturesTokenizer_readsAsTheWholeTreeSays() throws IOException {
        List<Path> files;
        try (Stream<Path> found = Files.walk(Path.of("src/test/resources/architectures"))) {
            files = found.filter(f -> f.getFileName().toString().equals("tokenizer.json")).toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        boolean sawUnigram = false;
        for (Path file : files) {
            Vocabulary read = Vocabulary.read(file);
            assertThat(read).as(file.toString()).isEqualTo(fromTree(file));
            assertThat(read.size()).as(file.toString()).isPositive();
            assertThat(read.specialIds()).as(file.toString()).isNotEmpty();
            sawUnigram |= new ObjectMapper().readTree(file.toFile()).path("model").path("vocab").isArray();
        }
        assertThat(sawUnigram).as("an XLM-R (Unigram) file among them").isTrue();
    }

    @Test
    void miniLmsFile_hasBertsKnownIds() throws IOException {
        Path file = dev.peregrine.core.testing.Fixtures.resolver().resolve("all-minilm-l6-v2").tokenizerFile();
        Vocabulary read = Vocabulary.read(file);
        assertThat(read.size()).isEqualTo(30522);
        assertThat(read.unknownId()).isEqualTo(100);          // [UNK]
        assertThat(read.specialIds()).contains(0L, 100L, 101L, 102L, 103L);
    }

    @Test
    void fieldsInAnyOrder_unknownTokenAfterTheVocabulary_andAddedTokensPastIt() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, """
                {"version": "1.0", "added_tokens": [{"id": 7, "content": "<x>", "special": true},
                                                    {"id": 3, "content": "y", "special": false}],
                 "normalizer": {"type": "Lowercase", "nested": [1, [2, {"a": "b"}]]},
                 "model": {"vocab": {"a": 0, "b": 1, "<unk>": 2, "c": 3}, "type": "WordPiece",
                           "unk_token": "<unk>"}}
                """);
        assertThat(Vocabulary.read(file)).isEqualTo(new Vocabulary(2, 8, Set.of(7L))).isEqualTo(fromTree(file));

        Files.writeString(file, """
                {"model": {"type": "Unigram", "unk_id": 1, "vocab": [["<s>", 0.0], ["<unk>", 0.0], ["x", -1.5]]}}
                """);
        assertThat(Vocabulary.read(file)).isEqualTo(new Vocabulary(1, 3, Set.of())).isEqualTo(fromTree(file));

        Files.writeString(file, """
                {"model": {"type": "BPE", "unk_token": null, "vocab": {"a": 0, "b": 1}}}
                """);
        assertThat(Vocabulary.read(file)).isEqualTo(new Vocabulary(-1, 2, Set.of())).isEqualTo(fromTree(file));
    }

    @Test
    void notATokenizerFile_isAnIOException() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "[1, 2, 3]");
        assertThatThrownBy(() -> Vocabulary.read(file)).isInstanceOf(IOException.class);
        Files.writeString(file, "{\"model\": {\"vocab\": {\"a\": 0,");
        assertThatThrownBy(() -> Vocabulary.read(file)).isInstanceOf(IOException.class);
    }
}
