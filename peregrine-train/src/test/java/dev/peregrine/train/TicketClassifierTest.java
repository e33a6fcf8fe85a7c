package dev.peregrine.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default classifier is found by name, built once, and as good as its training promised. */
class TicketClassifierTest {

    @Test
    void byName_isBuiltOnFirstUse_reused_andReportsItsHeldOutAccuracy() throws Exception {
        assertThat(Fixtures.resolver().namedModels()).containsKey(TicketClassifier.NAME);
        ModelFolder folder = Fixtures.resolver().resolve(TicketClassifier.NAME);
        assertThat(folder.root()).startsWith(Fixtures.home().built());
        assertThat(new TicketClassifier().materialized(TicketClassifier.NAME, Fixtures.home())).isTrue();
        long built = Files.getLastModifiedTime(folder.onnxFile()).toMillis();
        assertThat(Files.getLastModifiedTime(Fixtures.resolver().resolve(TicketClassifier.NAME).onnxFile()).toMillis())
                .isEqualTo(built);

        JsonNode report = new ObjectMapper().readTree(folder.root().resolve("training.json").toFile());
        assertThat(report.get("held_out").get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.88);
        assertThat(report.get("held_out_tickets").asInt()).isEqualTo(206);
        // the held-out tickets travel with the model: quantize and validate judge it on them by default
        assertThat(folder.heldOutData()).hasValue(folder.root().resolve(ModelFolder.HELD_OUT_FILE));
        assertThat(Files.readAllLines(folder.heldOutData().orElseThrow())).hasSize(206)
                .allSatisfy(l -> assertThat(new ObjectMapper().readTree(l).get("label").asText()).isNotBlank());

        try (Engine engine = Engine.open(folder)) {
            assertThat(engine.info().labels()).containsExactly("account", "billing", "general", "technical");
            var out = engine.classify(List.of("please refund the duplicate charge on my card",
                    "I can't log in, the 2FA code is always rejected"));
            assertThat(out.get(0).label()).isEqualTo("billing");
            assertThat(out.get(1).label()).isEqualTo("account");
        }
    }

    @Test
    void materialized_isFalseOnAnEmptyHome_soAServerBuildsItInTheBackground(@org.junit.jupiter.api.io.TempDir
                                                                            java.nio.file.Path empty) {
        TicketClassifier provider = new TicketClassifier();
        assertThat(provider.materialized(TicketClassifier.NAME, dev.peregrine.core.model.PeregrineHome.at(empty))).isFalse();
        assertThat(provider.materialized("another-model", dev.peregrine.core.model.PeregrineHome.at(empty))).isTrue();
    }

    @Test
    void buildKey_isStable() {
        assertThat(TicketClassifier.buildKey()).isEqualTo(TicketClassifier.buildKey()).hasSize(16);
    }
}
