package dev.peregrine.server.inference;

import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** peregrine.json recommendations are the defaults of serve; explicit settings win. */
class ModelSettingsTest {

    private static final ServingHints HINTS = new ServingHints(null, null, "basic", 1, 2, 4, 512, false, null);

    @Test
    void hints_fillEverySettingNotGiven_andSayWhichTheyFilled() {
        ModelSettings s = ModelSettings.resolve(ServeConfig.builder().build(), HINTS, false);
        assertThat(s.instances()).isEqualTo(2);
        assertThat(s.threads()).isEqualTo(1);
        assertThat(s.maxBatchSize()).isEqualTo(4);
        assertThat(s.maxBatchTokens()).isEqualTo(512);
        assertThat(s.graphOptimization()).isEqualTo(GraphOptimization.BASIC);
        assertThat(s.allowSpinning()).isFalse();
        assertThat(s.fromHints()).contains("instances", "threads", "max_batch_size", "max_batch_tokens",
                "graph_optimization", "allow_spinning");
    }

    @Test
    void explicitSettings_winOverHints_andDefaultsApplyWithoutEither() {
        ServeConfig flags = ServeConfig.builder().instances(3).maxBatchSize(16).graphOptimization(GraphOptimization.ALL).build();
        ModelSettings s = ModelSettings.resolve(flags, HINTS, false);
        assertThat(s.instances()).isEqualTo(3);
        assertThat(s.maxBatchSize()).isEqualTo(16);
        assertThat(s.graphOptimization()).isEqualTo(GraphOptimization.ALL);
        assertThat(s.maxBatchTokens()).as("not given: the hint").isEqualTo(512);
        assertThat(s.fromHints()).doesNotContain("instances", "max_batch_size");

        ModelSettings none = ModelSettings.resolve(ServeConfig.builder().build(), null, false);
        assertThat(none.instances()).isEqualTo(ServeConfig.DEFAULT_INSTANCES);
        assertThat(none.maxBatchSize()).isEqualTo(ServeConfig.DEFAULT_MAX_BATCH_SIZE);
        assertThat(none.fromHints()).isEmpty();
    }

    @Test
    void spinningThreads_stopBetweenPassesByDefault_unlessAsked() {
        ModelSettings byDefault = ModelSettings.resolve(ServeConfig.builder().build(), null, false);
        assertThat(byDefault.spinBetweenPasses()).isFalse();
        assertThat(byDefault.engineOptions(0, null).spinBetweenRuns()).isFalse();
        ModelSettings asked = ModelSettings.resolve(ServeConfig.builder().spinBetweenPasses(true).build(), HINTS, false);
        assertThat(asked.engineOptions(0, null).spinBetweenRuns()).isTrue();
        assertThat(asked.engineOptions(0, null).allowSpinning()).as("the hint's own setting is kept").isFalse();
    }

    @Test
    void anOptimizedGraphHint_loadsWithoutFurtherOptimization() {
        assertThat(ModelSettings.resolve(ServeConfig.builder().build(), HINTS, true).graphOptimization())
                .isEqualTo(GraphOptimization.NONE);
    }

    @Test
    void aServedFoldersPeregrineJson_setsItsDefaults_andAFlagWins(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("support");
        copy(TestServers.classifierFolder(), folder);
        HINTS.write(folder);

        try (PeregrineServer server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model(null, folder.toString()).build(), TestServers.resolver())) {
            JsonNode model = json(new TestClient(server.port(), null).get("/info")).at("/models/0");
            assertThat(model.get("name").asText()).isEqualTo("support");
            assertThat(model.get("instances").asInt()).isEqualTo(2);
            assertThat(model.get("max_batch_size").asInt()).isEqualTo(4);
            assertThat(model.get("graph_optimization").asText()).isEqualTo("basic");
            assertThat(model.get("pass_overhead_tokens").asInt()).as("the default")
                    .isEqualTo(ServeConfig.DEFAULT_PASS_OVERHEAD_TOKENS);
        }
        try (PeregrineServer server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model("s", folder.toString()).maxBatchSize(8).passOverheadTokens(12).build(), TestServers.resolver())) {
            JsonNode model = json(new TestClient(server.port(), null).get("/info")).at("/models/0");
            assertThat(model.get("pass_overhead_tokens").asInt()).as("given").isEqualTo(12);
            assertThat(server.models().all().get(0).settings().passOverheadTokens()).isEqualTo(12);
            assertThat(model.get("name").asText()).isEqualTo("s");
            assertThat(model.get("max_batch_size").asInt()).isEqualTo(8);
            assertThat(model.get("instances").asInt()).isEqualTo(2);
        }
    }

    @Test
    void aModelRepository_servesEachSubFolderUnderItsName(@TempDir Path tmp) throws Exception {
        copy(TestServers.classifierFolder(), tmp.resolve("alpha"));
        copy(TestServers.classifierFolder(), tmp.resolve("beta"));
        Files.createDirectories(tmp.resolve("not-a-model"));
        try (PeregrineServer server = PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .modelRepository(tmp).build(), TestServers.resolver())) {
            assertThat(server.models().all()).extracting(ServedModel::name).containsExactly("alpha", "beta");
            assertThat(new TestClient(server.port(), null).get("/v2/models/beta/ready").statusCode()).isEqualTo(200);
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.naturalOrder())::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }
}
