package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.embeddings.EmbeddingModel;
import com.openai.models.models.Model;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestServers;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK, configured as a new user would (its default model name, no retries
 * to keep failures visible), against real servers on loopback.
 */
class OpenAiSdkTest {

    private static final String TEXT = "Why was I charged twice this month?";
    private static PeregrineServer twoEmbedders;
    private static float[] expected;

    @BeforeAll
    static void start() {
        try (Engine engine = TestServers.directEmbedder()) {
            expected = engine.embed(List.of(TEXT), true).get(0);
        }
        // Two embedders: one under OpenAI's default name (an alias given with -m), one under another.
        twoEmbedders = PeregrineServer.start(TestServers.config().models(List.of())
                .model("text-embedding-3-small", TestServers.EMBEDDER)
                .model("support-search", TestServers.EMBEDDER)
                .build(), TestServers.resolver());
    }

    @AfterAll
    static void stop() {
        if (twoEmbedders != null) {
            twoEmbedders.stop();
        }
    }

    private static OpenAIClient sdk(int port, String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey(apiKey)
                .maxRetries(0).build();
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @Test
    void sdkDefaultModelName_isServedByTheOnlyEmbedder_withTheEnginesVector() {
        OpenAIClient client = sdk(TestServers.shared().port(), TestServers.API_KEY);

        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model(EmbeddingModel.TEXT_EMBEDDING_3_SMALL).input(TEXT).user("user-42").build());

        assertThat(r.model()).isEqualTo(TestServers.EMBEDDER);
        assertThat(r.data()).hasSize(1);
        assertThat(floats(r.data().get(0).embedding())).containsExactly(expected, within(1e-5f));
        assertThat(r.usage().promptTokens()).isPositive();
    }

    @Test
    void modelsList_namesEveryServedModel_inOpenAisShape() {
        OpenAIClient client = sdk(TestServers.shared().port(), TestServers.API_KEY);

        List<Model> models = client.models().list().data();

        assertThat(models).extracting(Model::id).containsExactly(TestServers.EMBEDDER, TestServers.CLASSIFIER);
        assertThat(models).allSatisfy(m -> {
            assertThat(m.ownedBy()).isEqualTo("peregrine");
            assertThat(m.created()).isPositive();
        });
        assertThat(client.models().retrieve(TestServers.EMBEDDER).id()).isEqualTo(TestServers.EMBEDDER);
    }

    @Test
    void anAliasGivenWithDashM_isServedByItsModel() {
        OpenAIClient client = sdk(twoEmbedders.port(), "any");

        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model(EmbeddingModel.TEXT_EMBEDDING_3_SMALL).input(TEXT).build());

        assertThat(r.model()).isEqualTo("text-embedding-3-small");
        assertThat(floats(r.data().get(0).embedding())).containsExactly(expected, within(1e-5f));
        assertThat(client.models().retrieve("support-search").id()).isEqualTo("support-search");
    }

    @Test
    void aWrongName_withTwoEmbeddersServed_reachesTheSdkAsAReadable404() {
        OpenAIClient client = sdk(twoEmbedders.port(), "any");

        assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-ada-002").input(TEXT).build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("The model 'text-embedding-ada-002' does not exist")
                            .contains("text-embedding-3-small, support-search");
                    assertThat(e.type()).contains("invalid_request_error");
                });
        assertThatThrownBy(() -> client.models().retrieve("gpt-4o"))
                .isInstanceOfSatisfying(NotFoundException.class,
                        e -> assertThat(e.getMessage()).contains("The model 'gpt-4o' does not exist"));
        // Both are all-minilm-l6-v2 underneath: that name is claimed twice, so it is no alias of either.
        assertThatThrownBy(() -> client.models().retrieve(TestServers.EMBEDDER))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void badRequestAndWrongKey_reachTheSdkWithTheServersMessage() {
        OpenAIClient client = sdk(TestServers.shared().port(), TestServers.API_KEY);
        assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder()
                .model(TestServers.EMBEDDER).input(TEXT).dimensions(1536).build()))
                .isInstanceOfSatisfying(BadRequestException.class,
                        e -> assertThat(e.getMessage()).contains("384-dimensional").contains("1536"));

        OpenAIClient wrongKey = sdk(TestServers.shared().port(), "not-the-key");
        assertThatThrownBy(() -> wrongKey.models().list())
                .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
                    assertThat(e.getMessage()).contains("missing or wrong API key");
                    assertThat(e.code()).contains("invalid_api_key");
                });
    }
}
