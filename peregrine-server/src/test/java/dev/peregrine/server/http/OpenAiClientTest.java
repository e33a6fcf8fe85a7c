package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.TestServers;
import java.util.List;
import org.junit.jupiter.api.Test;

/** langchain4j's OpenAI embedding client, pointed at the server, gets the engine's vectors. */
class OpenAiClientTest {

    @Test
    void langchain4jOpenAiEmbeddingModel_getsTheSameVectorsAsTheEngine() {
        int port = TestServers.shared().port();
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder()
                .baseUrl("http://127.0.0.1:" + port + "/v1")
                .apiKey(TestServers.API_KEY)
                .modelName(TestServers.EMBEDDER)
                .build();
        List<String> texts = List.of("How do I reset my password?", "Shipping takes three days.", "¿Dónde está mi pedido?");

        Response<List<Embedding>> response = model.embedAll(texts.stream().map(TextSegment::from).toList());

        assertThat(response.content()).hasSize(3);
        try (Engine engine = TestServers.directEmbedder()) {
            List<float[]> expected = engine.embed(texts, true);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(response.content().get(i).vector()).containsExactly(expected.get(i), within(1e-5f));
            }
            int tokens = engine.encode(texts).stream().mapToInt(e -> e.length()).sum();
            assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(tokens);
        }
    }
}
