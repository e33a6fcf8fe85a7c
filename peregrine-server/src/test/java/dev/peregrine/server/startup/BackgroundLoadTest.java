package dev.peregrine.server.startup;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.NamedModelProvider;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Readiness per model: a model that must first be built (as the ticket classifier on a fresh
 * machine) loads in the background while the others already answer.
 */
class BackgroundLoadTest {

    private static final String SLOW = "slow-classifier";

    /** A named model that is "built" when the test says so (or fails to be). */
    private static final class SlowProvider implements NamedModelProvider {
        final CountDownLatch release = new CountDownLatch(1);
        final boolean fail;
        volatile boolean built;

        SlowProvider(boolean fail) {
            this.fail = fail;
        }

        @Override
        public Map<String, String> models() {
            return Map.of(SLOW, "a classifier built on first use");
        }

        @Override
        public boolean materialized(String name, PeregrineHome home) {
            return built;
        }

        @Override
        public Optional<Path> folder(String name, PeregrineHome home) {
            if (!SLOW.equals(name)) {
                return Optional.empty();
            }
            try {
                if (!release.await(2, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("the test never released the build");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (fail) {
                throw new PeregrineException(ErrorKind.IO, "the training data is missing");
            }
            built = true;
            return Optional.of(TestServers.classifierFolder());
        }
    }

    private static PeregrineServer start(SlowProvider provider) {
        ModelResolver resolver = new ModelResolver(PeregrineHome.at(Path.of("target", "test-home")),
                List.of(new EmbeddedModels(), provider));
        return PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model(null, TestServers.EMBEDDER).model(null, SLOW).threads(1).tokenizerThreads(1).build(), resolver);
    }

    private static int awaitStatus(TestClient client, String path, int wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        int status = -1;
        while (System.nanoTime() < deadline) {
            status = client.get(path).statusCode();
            if (status == wanted) {
                return status;
            }
            Thread.sleep(20);
        }
        return status;
    }

    @Test
    void theEmbedderAnswers_whileAModelBuiltOnFirstUseLoads_thenBothDo() throws Exception {
        SlowProvider provider = new SlowProvider(false);
        try (PeregrineServer server = start(provider)) {
            TestClient client = new TestClient(server.port(), null);
            assertThat(client.post("/embed", body(Map.of("inputs", "hello"))).statusCode()).isEqualTo(200);

            HttpResponse<String> classify = client.post("/classify", body(Map.of("texts", List.of("hello"))));
            assertThat(classify.statusCode()).as(classify.body()).isEqualTo(503);
            assertThat(classify.headers().firstValue("Retry-After")).isPresent();
            assertThat(json(classify).get("error").asText()).contains(SLOW).contains("loading");
            HttpResponse<String> named = client.post("/classify", body(Map.of("texts", List.of("hi"), "model", SLOW)));
            assertThat(named.statusCode()).as(named.body()).isEqualTo(503);

            HttpResponse<String> all = client.get("/readyz");
            assertThat(all.statusCode()).as("/readyz waits for every model").isEqualTo(503);
            assertThat(json(all).get("error").asText()).contains(SLOW);
            assertThat(client.get("/readyz?model=" + TestServers.EMBEDDER).statusCode()).isEqualTo(200);
            assertThat(client.get("/readyz?model=" + SLOW).statusCode()).isEqualTo(503);
            assertThat(client.get("/readyz?model=nope").statusCode()).isEqualTo(404);
            assertThat(client.get("/v2/models/" + TestServers.EMBEDDER + "/ready").statusCode()).isEqualTo(200);
            assertThat(client.get("/startupz").statusCode()).isEqualTo(200);
            JsonNode states = json(client.get("/info")).get("model_states");
            assertThat(states.get(TestServers.EMBEDDER).asText()).isEqualTo("ready");
            assertThat(states.get(SLOW).asText()).isEqualTo("loading");
            assertThat(server.ready()).isFalse();

            provider.release.countDown();
            assertThat(awaitStatus(client, "/readyz", 200)).isEqualTo(200);
            HttpResponse<String> later = client.post("/classify", body(Map.of("texts", List.of("hello"))));
            assertThat(later.statusCode()).as(later.body()).isEqualTo(200);
            assertThat(json(later).get("model").asText()).isEqualTo(SLOW);
            JsonNode info = json(client.get("/info"));
            assertThat(info.at("/model_states/" + SLOW).asText()).isEqualTo("ready");
            assertThat(info.at("/startup/every_model_ready_at_ms").asLong())
                    .isGreaterThanOrEqualTo(info.at("/startup/ready_at_ms").asLong());
            assertThat(info.get("models")).hasSize(2);
            assertThat(info.at("/models/1/name").asText()).as("configuration order").isEqualTo(SLOW);
            assertThat(client.get("/drift/" + SLOW).statusCode()).as("the late model is watched for drift too")
                    .isEqualTo(200);
            assertThat(client.get("/readyz?model=" + SLOW).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aBackgroundLoadThatFails_isReported_andTheOtherModelsGoOn() throws Exception {
        SlowProvider provider = new SlowProvider(true);
        try (PeregrineServer server = start(provider)) {
            TestClient client = new TestClient(server.port(), null);
            provider.release.countDown();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            String state = "";
            while (System.nanoTime() < deadline && !state.startsWith("failed")) {
                state = json(client.get("/info")).at("/model_states/" + SLOW).asText();
                Thread.sleep(20);
            }
            assertThat(state).startsWith("failed").contains("training data is missing");
            HttpResponse<String> classify = client.post("/classify", body(Map.of("texts", List.of("hello"))));
            assertThat(classify.statusCode()).isEqualTo(503);
            assertThat(json(classify).get("error").asText()).contains("failed to load");
            assertThat(client.get("/readyz").statusCode()).isEqualTo(503);
            assertThat(client.post("/embed", body(Map.of("inputs", "hello"))).statusCode()).isEqualTo(200);
        }
    }
}
