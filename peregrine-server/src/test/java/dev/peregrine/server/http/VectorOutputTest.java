package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Vectors are written into the response buffer directly (no Float.toString): the bodies are strict
 * JSON, and every number, read back as a float, has the bits of the engine's own output.
 */
class VectorOutputTest {

    private static final String TEXT = "The invoice shows the same charge twice.";
    private static Engine engine;
    private static TestClient client;

    @BeforeAll
    static void start() {
        client = new TestClient(TestServers.shared().port(), TestServers.API_KEY);
        engine = TestServers.directEmbedder();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    /** Every float number of a body, in order, as the bits of its text parsed as a float; the body must be one strict JSON value. */
    private static List<Integer> floatBits(HttpResponse<String> r) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonInput.JSON.readTree(r.body());   // strict: one value, nothing after it
        List<Integer> bits = new ArrayList<>();
        try (JsonParser p = JsonInput.JSON.getFactory().createParser(r.body())) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    bits.add(Float.floatToRawIntBits(Float.parseFloat(p.getText())));
                }
            }
        }
        return bits;
    }

    private static List<Integer> bits(float[] v) {
        List<Integer> out = new ArrayList<>(v.length);
        for (float x : v) {
            out.add(Float.floatToRawIntBits(x));
        }
        return out;
    }

    @Test
    void teiEmbed_writesTheEnginesFloatsExactly_normalizedOrNot() throws IOException {
        assertThat(floatBits(client.post("/embed", body(Map.of("inputs", TEXT, "normalize", false)))))
                .isEqualTo(bits(engine.embed(List.of(TEXT), false).get(0)));
        assertThat(floatBits(client.post("/embed", body(Map.of("inputs", TEXT)))))
                .isEqualTo(bits(engine.embed(List.of(TEXT), true).get(0)));
    }

    @Test
    void openAiAndKServe_writeTheEnginesFloatsExactly() throws IOException {
        List<Integer> expected = bits(engine.embed(List.of(TEXT), true).get(0));
        assertThat(floatBits(client.post("/v1/embeddings", body(Map.of("input", TEXT, "model", TestServers.EMBEDDER)))))
                .isEqualTo(expected);
        assertThat(floatBits(client.post("/v2/models/" + TestServers.EMBEDDER + "/infer", body(Map.of("inputs",
                List.of(Map.of("name", "text", "datatype", "BYTES", "shape", List.of(1), "data", List.of(TEXT))),
                "parameters", Map.of("normalize", true))))))
                .isEqualTo(expected);
    }
}
