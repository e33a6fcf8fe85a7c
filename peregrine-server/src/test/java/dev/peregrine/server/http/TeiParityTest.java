package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.server.EmbeddingsConfig;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * text-embeddings-inference's routes and options against a real server on loopback, each answer
 * compared with the engine's own result computed directly: /tokenize, /decode, /embed_all,
 * /similarity, prompts, Matryoshka dimensions.
 */
class TeiParityTest {

    static final String PLAIN = TestServers.EMBEDDER;
    static final String E5 = "e5-like";
    static final String TEXT = "Why was I Charged twice this month?";

    static PeregrineServer server;
    static TestClient client;
    static Engine engine;

    @BeforeAll
    static void start() {
        engine = TestServers.directEmbedder();
        server = PeregrineServer.start(TestServers.config().models(List.of())
                .model(PLAIN, PLAIN)
                .model(E5, promptedFolder().toString())
                .model(TestServers.CLASSIFIER, TestServers.classifierFolder().toString())
                .build(), TestServers.resolver());
        client = new TestClient(server.port(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
        if (engine != null) {
            engine.close();
        }
    }

    /**
     * The default embedder's files with a sentence-transformers configuration declaring E5's prompts
     * and Matryoshka dimensions (the graph itself is linked, not copied).
     */
    static synchronized Path promptedFolder() {
        Path dir = Path.of("target", "test-models", E5).toAbsolutePath();
        try {
            if (!Files.isRegularFile(dir.resolve("config_sentence_transformers.json"))) {
                Files.createDirectories(dir);
                Path source = ModelFolder.open(TestServers.resolver().resolve(PLAIN).root()).root();
                try (Stream<Path> files = Files.list(source)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Path link = dir.resolve(f.getFileName().toString());
                        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            Files.createSymbolicLink(link, f.toAbsolutePath());
                        }
                    }
                }
                Files.writeString(dir.resolve("config_sentence_transformers.json"), """
                        {"prompts": {"query": "query: ", "passage": "passage: "},
                         "matryoshka_dims": [384, 256, 128, 64]}""");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static JsonNode ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestClient.json(r);
    }

    static JsonNode error(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return TestClient.json(r);
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).floatValue();
        }
        return out;
    }

    /** The cosine of unit vectors. */
    static float dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return (float) sum;
    }

    static float[] embedDirect(String text, boolean normalize) {
        return engine.embed(List.of(text), normalize).get(0);
    }

    // --- /tokenize and /decode -------------------------------------------------------------------

    @Test
    void tokenize_givesTheTokenizersIds_specialTokensWithoutOffsets_andPiecesAtTheirByteOffsets() {
        JsonNode r = ok(client.post("/tokenize", TestClient.body(Map.of("inputs", TEXT))));
        assertThat(r).hasSize(1);
        JsonNode tokens = r.get(0);
        long[] ids = engine.encode(List.of(TEXT)).get(0).ids();
        assertThat(tokens).hasSize(ids.length);
        for (int i = 0; i < ids.length; i++) {
            assertThat(tokens.get(i).get("id").asLong()).isEqualTo(ids[i]);
        }
        assertThat(tokens.get(0).get("text").asText()).isEqualTo("[CLS]");
        assertThat(tokens.get(0).get("special").asBoolean()).isTrue();
        assertThat(tokens.get(0).get("start").isNull()).isTrue();
        assertThat(tokens.get(0).get("stop").isNull()).isTrue();
        JsonNode charged = tokens.get(4);
        assertThat(charged.get("text").asText()).isEqualTo("Charged");
        assertThat(charged.get("special").asBoolean()).isFalse();
        assertThat(TEXT.substring(charged.get("start").asInt(), charged.get("stop").asInt())).isEqualTo("Charged");
    }

    @Test
    void tokenize_aBatch_withoutSpecialTokens_orWithAPrompt_tokenizesWhatTheModelWouldSee() {
        JsonNode r = ok(client.post("/tokenize", TestClient.body(Map.of("inputs", List.of("hello world", TEXT),
                "add_special_tokens", false))));
        assertThat(r).hasSize(2);
        assertThat(r.get(0)).extracting(t -> t.get("text").asText()).containsExactly("hello", "world");
        assertThat(r.get(1)).noneMatch(t -> t.get("special").asBoolean());

        JsonNode prompted = ok(client.post("/tokenize", TestClient.body(Map.of("model", E5, "inputs", "hello",
                "prompt_name", "query")))).get(0);
        assertThat(prompted).extracting(t -> t.get("text").asText()).containsExactly("[CLS]", "query", ":", "hello", "[SEP]");
    }

    @Test
    void decode_turnsIdsBackIntoTheTokenizersText_oneListOrMany() {
        long[] ids = engine.encode(List.of(TEXT)).get(0).ids();
        JsonNode one = ok(client.post("/decode", TestClient.body(Map.of("ids", ids))));
        assertThat(one).hasSize(1);
        assertThat(one.get(0).asText()).isEqualTo(engine.tokenizer().decode(ids, true))
                .isEqualTo("why was i charged twice this month?");
        JsonNode many = ok(client.post("/decode", TestClient.body(Map.of("ids", List.of(ids, new long[] {7592}),
                "skip_special_tokens", false))));
        assertThat(many.get(0).asText()).startsWith("[CLS] why").endsWith("[SEP]");
        assertThat(many.get(1).asText()).isEqualTo("hello");
    }

    @Test
    void decode_refusesIdsOutsideTheVocabulary_emptyLists_andNonIntegers_clearly() {
        assertThat(error(client.post("/decode", "{\"ids\": [101, 999999]}"), 422).get("error").asText())
                .contains("token id 999999 at position 1").contains("vocabulary of 30522");
        assertThat(error(client.post("/decode", "{\"ids\": []}"), 400).get("error_type").asText()).isEqualTo("Empty");
        assertThat(error(client.post("/decode", "{\"ids\": [[101], []]}"), 400).get("error").asText()).contains("'ids[1]'");
        assertThat(error(client.post("/decode", "{\"ids\": [1.5]}"), 422).get("error").asText()).contains("'ids[0]'");
        assertThat(error(client.post("/decode", "{\"ids\": \"101\"}"), 422).get("error").asText()).contains("list of token ids");
        assertThat(error(client.post("/decode", "{\"ids\": [1], \"model\": \"nope\"}"), 404).get("error").asText())
                .contains("nope");
    }

    // --- /embed_all ------------------------------------------------------------------------------

    @Test
    void embedAll_givesEveryTokensVector_whoseMeanIsTheEmbedRouteUnnormalizedVector() {
        List<String> texts = List.of(TEXT, "a much shorter one");
        JsonNode all = ok(client.post("/embed_all", TestClient.body(Map.of("inputs", texts))));
        JsonNode pooled = ok(client.post("/embed", TestClient.body(Map.of("inputs", texts, "normalize", false))));
        List<EncodedText> encoded = engine.encode(texts);
        for (int i = 0; i < texts.size(); i++) {
            JsonNode tokens = all.get(i);
            assertThat(tokens).hasSize(encoded.get(i).length());
            float[] mean = new float[384];
            for (JsonNode token : tokens) {
                float[] v = floats(token);
                assertThat(v).hasSize(384);
                for (int k = 0; k < 384; k++) {
                    mean[k] += v[k] / tokens.size();
                }
            }
            assertThat(mean).containsExactly(floats(pooled.get(i)), within(1e-5f));
        }
    }

    @Test
    void embedAll_leftTruncation_keepsTheLastTokens_andAClassifierIsRefused() {
        String longText = "first words that will be cut away " + "filler ".repeat(300) + "the closing words";
        JsonNode left = ok(client.post("/embed_all", TestClient.body(Map.of("inputs", longText, "truncate", true,
                "truncation_direction", "left")))).get(0);
        List<EncodedText> expected = engine.encode(List.of(longText), true, TruncationDirection.LEFT, true);
        float[][] direct = engine.embedTokens(expected).get(0);
        assertThat(left).hasSize(256);
        for (int t = 0; t < 256; t += 51) {
            assertThat(floats(left.get(t))).containsExactly(direct[t], within(1e-5f));
        }
        assertThat(error(client.post("/embed_all", TestClient.body(Map.of("inputs", longText, "truncate", false))), 422)
                .get("error").asText()).contains("256");
        assertThat(error(client.post("/embed_all", TestClient.body(Map.of("inputs", "x", "model", TestServers.CLASSIFIER))),
                422).get("error").asText()).contains("classifier");
        assertThat(error(client.post("/embed_all", TestClient.body(Map.of("inputs", "x", "truncation_direction", "up"))),
                422).get("error").asText()).contains("left or right");
    }

    // --- /similarity -----------------------------------------------------------------------------

    @Test
    void similarity_isTheCosineOfTheEmbedRoutesVectors() {
        List<String> sentences = List.of("I was billed two times", "The app crashes on start", TEXT);
        JsonNode r = ok(client.post("/similarity", TestClient.body(Map.of("inputs",
                Map.of("source_sentence", TEXT, "sentences", sentences)))));
        List<String> all = new ArrayList<>(List.of(TEXT));
        all.addAll(sentences);
        JsonNode vectors = ok(client.post("/embed", TestClient.body(Map.of("inputs", all))));
        assertThat(r).hasSize(3);
        for (int i = 0; i < 3; i++) {
            float[] a = floats(vectors.get(0));
            float[] b = floats(vectors.get(i + 1));
            assertThat(r.get(i).floatValue()).isCloseTo(dot(a, b), within(1e-5f));
        }
        assertThat(r.get(2).floatValue()).isCloseTo(1f, within(1e-5f));
        assertThat(r.get(0).floatValue()).isGreaterThan(r.get(1).floatValue());
    }

    @Test
    void similarity_withAPrompt_usesThePromptedTexts_andBadInputsAreRefused() {
        JsonNode r = ok(client.post("/similarity", TestClient.body(Map.of("model", E5, "inputs",
                Map.of("source_sentence", "refund", "sentences", List.of("money back")),
                "parameters", Map.of("prompt_name", "query")))));
        float[] a = embedDirect("query: refund", true);
        float[] b = embedDirect("query: money back", true);
        assertThat(r.get(0).floatValue()).isCloseTo(dot(a, b), within(1e-5f));

        assertThat(error(client.post("/similarity", "{\"inputs\": {\"source_sentence\": \"a\", \"sentences\": []}}"), 400)
                .get("error_type").asText()).isEqualTo("Empty");
        assertThat(error(client.post("/similarity", "{\"inputs\": {\"sentences\": [\"a\"]}}"), 422)
                .get("error").asText()).contains("source_sentence");
        assertThat(error(client.post("/similarity", "{\"inputs\": [\"a\", \"b\"]}"), 422)
                .get("error").asText()).contains("source_sentence");
        assertThat(error(client.post("/similarity", "{\"inputs\": {\"source_sentence\": \"a\", \"sentences\": [\"b\"]},"
                + " \"parameters\": 3}"), 422).get("error").asText()).contains("'parameters'");
    }

    // --- prompts ---------------------------------------------------------------------------------

    @Test
    void promptName_onEmbed_equalsEmbeddingThePromptAndTheText() {
        JsonNode r = ok(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", List.of(TEXT, "refund"),
                "prompt_name", "passage"))));
        assertThat(floats(r.get(0))).containsExactly(embedDirect("passage: " + TEXT, true), within(1e-5f));
        assertThat(floats(r.get(1))).containsExactly(embedDirect("passage: refund", true), within(1e-5f));
        // No prompt named, none declared as default: the text alone.
        JsonNode plain = ok(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT))));
        assertThat(floats(plain.get(0))).containsExactly(embedDirect(TEXT, true), within(1e-5f));
    }

    @Test
    void anUndeclaredPrompt_isRefusedNamingTheDeclaredOnes() {
        assertThat(error(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT,
                "prompt_name", "document"))), 422).get("error").asText())
                .contains("no prompt named 'document'").contains("query, passage");
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", TEXT, "prompt_name", "query"))), 422)
                .get("error").asText()).contains("no prompts");
    }

    @Test
    void theServersDefaultPromptName_appliesToRequestsNamingNone_andMustBeDeclaredByEveryEmbedder() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PeregrineServer.start(TestServers.config()
                        .models(List.of()).model(PLAIN, PLAIN).model(E5, promptedFolder().toString())
                        .embeddings(new EmbeddingsConfig("query", null, java.util.Set.of(), false)).build(),
                        TestServers.resolver()))
                .hasMessageContaining("--default-prompt-name 'query'").hasMessageContaining(PLAIN);
        PeregrineServer withDefault = PeregrineServer.start(TestServers.config().models(List.of())
                .model(E5, promptedFolder().toString())
                .embeddings(new EmbeddingsConfig("query", null, java.util.Set.of(), false)).build(), TestServers.resolver());
        try {
            TestClient c = new TestClient(withDefault.port(), null);
            JsonNode r = ok(c.post("/embed", TestClient.body(Map.of("inputs", TEXT))));
            assertThat(floats(r.get(0))).containsExactly(embedDirect("query: " + TEXT, true), within(1e-5f));
            JsonNode passage = ok(c.post("/embed", TestClient.body(Map.of("inputs", TEXT, "prompt_name", "passage"))));
            assertThat(floats(passage.get(0))).containsExactly(embedDirect("passage: " + TEXT, true), within(1e-5f));
            JsonNode openAi = ok(c.post("/v1/embeddings", TestClient.body(Map.of("input", TEXT, "model", E5))));
            assertThat(floats(openAi.get("data").get(0).get("embedding")))
                    .containsExactly(embedDirect("query: " + TEXT, true), within(1e-5f));
        } finally {
            withDefault.stop();
        }
    }

    @Test
    void info_listsTheDeclaredPromptsAndMatryoshkaDimensions() {
        JsonNode models = ok(client.get("/info")).get("models");
        JsonNode e5 = null;
        JsonNode plain = null;
        for (JsonNode m : models) {
            if (m.get("name").asText().equals(E5)) {
                e5 = m;
            } else if (m.get("name").asText().equals(PLAIN)) {
                plain = m;
            }
        }
        assertThat(e5.get("prompts").get("query").asText()).isEqualTo("query: ");
        assertThat(e5.get("matryoshka_dimensions")).extracting(JsonNode::asInt).containsExactly(384, 256, 128, 64);
        assertThat(plain.has("prompts")).isFalse();
        assertThat(plain.has("matryoshka_dimensions")).isFalse();
    }

    // --- dimensions ------------------------------------------------------------------------------

    @Test
    void dimensions_onAMatryoshkaModel_areTheFirstValuesRenormalized() {
        JsonNode r = ok(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT, "dimensions", 128))));
        float[] full = embedDirect(TEXT, true);
        float[] expected = Vectors.normalized(java.util.Arrays.copyOf(full, 128));
        assertThat(floats(r.get(0))).hasSize(128).containsExactly(expected, within(1e-5f));
        // Without normalization the cut is only a cut.
        JsonNode raw = ok(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT, "dimensions", 64,
                "normalize", false))));
        assertThat(floats(raw.get(0))).containsExactly(java.util.Arrays.copyOf(embedDirect(TEXT, false), 64),
                within(1e-5f));
        // The full width is always allowed, on any model.
        assertThat(ok(client.post("/embed", TestClient.body(Map.of("inputs", TEXT, "dimensions", 384)))).get(0)).hasSize(384);
    }

    @Test
    void dimensions_onAModelNotTrainedForThem_orTooMany_areRefusedClearly() {
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", TEXT, "dimensions", 128))), 422)
                .get("error").asText()).contains("Matryoshka").contains("--matryoshka " + PLAIN)
                .contains("--allow-any-dimensions");
        assertThat(error(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT, "dimensions", 385))),
                422).get("error").asText()).contains("384-dimensional").contains("more than");
        assertThat(error(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", TEXT, "dimensions", 0))),
                422).get("error").asText()).contains("'dimensions'");
        // OpenAI's shape and its 400 on /v1.
        JsonNode e = error(client.post("/v1/embeddings", TestClient.body(Map.of("model", PLAIN, "input", TEXT,
                "dimensions", 64))), 400);
        assertThat(e.get("error").get("message").asText()).contains("Matryoshka");
        assertThat(e.get("error").get("type").asText()).isEqualTo("invalid_request_error");
    }

    // --- the OpenAI SDK --------------------------------------------------------------------------

    static com.openai.client.OpenAIClient sdk() {
        return com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1")
                .apiKey("unused").maxRetries(0).build();
    }

    static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @Test
    void openAiSdk_dimensions_onAMatryoshkaModel_giveTheCutRenormalizedVector_andElsewhereAReadable400() {
        var r = sdk().embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder()
                .model(E5).input(TEXT).dimensions(64).build());
        float[] expected = Vectors.normalized(java.util.Arrays.copyOf(embedDirect(TEXT, true), 64));
        assertThat(floats(r.data().get(0).embedding())).hasSize(64).containsExactly(expected, within(1e-5f));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sdk().embeddings().create(
                        com.openai.models.embeddings.EmbeddingCreateParams.builder().model(PLAIN).input(TEXT)
                                .dimensions(64).build()))
                .isInstanceOfSatisfying(com.openai.errors.BadRequestException.class,
                        e -> assertThat(e.getMessage()).contains("Matryoshka").contains("--allow-any-dimensions"));
    }

    // --- truncation_direction, raw_scores, token ids ----------------------------------------------

    static final String LONG = "the opening words that a left cut drops " + "filler ".repeat(300) + "the closing words";

    @Test
    void leftTruncation_onEmbed_embedsTheLastTokens_rightTheFirst_andTheCacheKeepsThemApart() {
        float[] left = Vectors.normalized(engine.run(engine.encode(List.of(LONG), true, TruncationDirection.LEFT, true))[0]);
        float[] right = embedDirect(LONG, true);
        for (int round = 0; round < 2; round++) {   // the second round is answered by the cache
            JsonNode l = ok(client.post("/embed", TestClient.body(Map.of("inputs", LONG, "truncate", true,
                    "truncation_direction", "left"))));
            JsonNode r = ok(client.post("/embed", TestClient.body(Map.of("inputs", LONG, "truncate", true))));
            assertThat(floats(l.get(0))).containsExactly(left, within(1e-5f));
            assertThat(floats(r.get(0))).containsExactly(right, within(1e-5f));
        }
        JsonNode sim = ok(client.post("/similarity", TestClient.body(Map.of("inputs", Map.of("source_sentence", LONG,
                "sentences", List.of("the closing words")), "parameters", Map.of("truncate", true,
                "truncation_direction", "Left")))));
        assertThat(sim.get(0).floatValue()).isCloseTo(dot(left, embedDirect("the closing words", true)), within(1e-5f));
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", "x", "truncation_direction", "middle"))),
                422).get("error").asText()).contains("left or right");
    }

    @Test
    void rawScores_onPredict_areTheLogits_whoseSoftmaxIsThePredictedProbabilities() {
        try (Engine classifier = TestServers.directClassifier()) {
            float[] logits = classifier.forwardRaw(classifier.encode(List.of(TEXT)))[0];
            for (int round = 0; round < 2; round++) {
                JsonNode raw = ok(client.post("/predict", TestClient.body(Map.of("inputs", TEXT, "raw_scores", true))));
                JsonNode probabilities = ok(client.post("/predict", TestClient.body(Map.of("inputs", TEXT))));
                assertThat(raw).hasSize(TestServers.LABELS.size());
                float[] rawByLabel = new float[logits.length];
                float[] pByLabel = new float[logits.length];
                for (int k = 0; k < raw.size(); k++) {
                    rawByLabel[TestServers.LABELS.indexOf(raw.get(k).get("label").asText())] = raw.get(k).get("score").floatValue();
                    pByLabel[TestServers.LABELS.indexOf(probabilities.get(k).get("label").asText())] =
                            probabilities.get(k).get("score").floatValue();
                }
                assertThat(rawByLabel).containsExactly(logits, within(1e-5f));
                assertThat(Vectors.softmaxInPlace(rawByLabel.clone())).containsExactly(pByLabel, within(1e-5f));
                // Most probable first either way.
                assertThat(raw.get(0).get("label").asText()).isEqualTo(probabilities.get(0).get("label").asText());
            }
            // Left truncation reaches the classifier too: the logits of the text's last tokens.
            float[] leftLogits = classifier.forwardRaw(classifier.encode(List.of(LONG), true, TruncationDirection.LEFT,
                    true))[0];
            JsonNode left = ok(client.post("/predict", TestClient.body(Map.of("inputs", LONG, "truncate", true,
                    "truncation_direction", "left", "raw_scores", true))));
            for (JsonNode s : left) {
                assertThat(s.get("score").floatValue()).isCloseTo(
                        leftLogits[TestServers.LABELS.indexOf(s.get("label").asText())], within(1e-5f));
            }
        }
    }

    @Test
    void tokenIds_onEmbed_embedExactlyAsTheTextTheyTokenize() {
        List<String> texts = List.of(TEXT, "a second, shorter text");
        List<long[]> ids = engine.encode(texts).stream().map(EncodedText::ids).toList();
        JsonNode byIds = ok(client.post("/embed", TestClient.body(Map.of("inputs", ids))));
        JsonNode one = ok(client.post("/embed", TestClient.body(Map.of("inputs", ids.get(0)))));
        for (int i = 0; i < texts.size(); i++) {
            assertThat(floats(byIds.get(i))).containsExactly(embedDirect(texts.get(i), true), within(1e-5f));
        }
        assertThat(floats(one.get(0))).containsExactly(embedDirect(TEXT, true), within(1e-5f));
        // Ids without [CLS] and [SEP] run as given: none are added.
        long[] bare = java.util.Arrays.copyOfRange(ids.get(0), 1, ids.get(0).length - 1);
        JsonNode noSpecial = ok(client.post("/embed", TestClient.body(Map.of("inputs", List.of(bare)))));
        float[] expected = Vectors.normalized(engine.run(List.of(new EncodedText(bare, new long[bare.length], false, 0)))[0]);
        assertThat(floats(noSpecial.get(0))).containsExactly(expected, within(1e-5f));
        // With a prompt, as text-embeddings-inference: the prompt before the ids' text.
        JsonNode prompted = ok(client.post("/embed", TestClient.body(Map.of("model", E5, "inputs", List.of(ids.get(0)),
                "prompt_name", "query"))));
        assertThat(floats(prompted.get(0))).containsExactly(embedDirect("query: " + TEXT.toLowerCase(), true),
                within(1e-5f));
    }

    @Test
    void tokenIds_thatAreNotThisModelsTokenization_orOutsideItsVocabulary_areRefused() {
        // "##s" first: no text tokenizes to a word piece at its start.
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", List.of(2015, 2088)))), 422)
                .get("error").asText()).contains("not a tokenization").contains("/tokenize");
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", List.of(List.of(101, 102), List.of(100256))))),
                422).get("error").asText()).contains("'inputs[1]'").contains("token id 100256");
        assertThat(error(client.post("/embed", TestClient.body(Map.of("inputs", List.of(List.of(101), "text")))), 422)
                .get("error").asText()).contains("'inputs[1]'");
        JsonNode openAi = error(client.post("/v1/embeddings", TestClient.body(Map.of("input", List.of(100256, 5), "model",
                PLAIN))), 400);
        assertThat(openAi.get("error").get("message").asText()).contains("token id 100256");
    }

    @Test
    void openAiSdk_tokenArrays_embedAsTheirTexts_andCountTheirTokens() {
        List<String> texts = List.of(TEXT, "refund please");
        List<List<Long>> ids = engine.encode(texts).stream()
                .map(e -> java.util.Arrays.stream(e.ids()).boxed().toList()).toList();
        var many = sdk().embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder()
                .model(PLAIN).inputOfArrayOfTokenArrays(ids).build());
        for (int i = 0; i < texts.size(); i++) {
            assertThat(floats(many.data().get(i).embedding())).containsExactly(embedDirect(texts.get(i), true), within(1e-5f));
        }
        assertThat(many.usage().promptTokens()).isEqualTo(ids.get(0).size() + ids.get(1).size());
        var one = sdk().embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder()
                .model(PLAIN).inputOfArrayOfTokens(ids.get(0)).build());
        assertThat(one.data()).hasSize(1);
        assertThat(floats(one.data().get(0).embedding())).containsExactly(embedDirect(TEXT, true), within(1e-5f));
    }
}
