package dev.peregrine.server.http;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.RawHttp;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Strict, always-JSON errors (issue 10, finding 7): each case with its status and JSON body, on the
 * shared server (body limit {@value TestServers#MAX_BODY} bytes).
 */
class StrictErrorsTest {

    private static PeregrineServer server;
    private static TestClient client;

    @BeforeAll
    static void start() {
        server = TestServers.shared();
        client = new TestClient(server.port(), TestServers.API_KEY);
    }

    private static JsonNode expectError(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        JsonNode o = json(r);
        assertThat(o.get("error").asText()).isNotBlank();
        assertThat(o.get("error_type").asText()).isEqualTo(type);
        return o;
    }

    private static JsonNode expectError(RawHttp.Response r, int status, String type) throws IOException {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("content-type")).startsWith("application/json");
        JsonNode o = TestClient.JSON.readTree(r.body());
        assertThat(o.get("error_type").asText()).isEqualTo(type);
        return o;
    }

    @Test
    void trailingContentAndDuplicateKeys_are400() {
        expectError(client.post("/embed", "{\"inputs\":[\"a\"]}xyz"), 400, "Validation");
        JsonNode dup = expectError(client.post("/embed", "{\"inputs\":[\"a\"],\"inputs\":[\"b\"]}"), 400, "Validation");
        assertThat(dup.get("error").asText()).containsIgnoringCase("duplicate");
        expectError(client.post("/classify", "{\"texts\":[\"a\"]} {}"), 400, "Validation");
    }

    @Test
    void whitespaceAndZeroWidthTexts_areEmpty_400() {
        expectError(client.post("/embed", body(Map.of("inputs", List.of("ok", " \t\n ")))), 400, "Empty");
        expectError(client.post("/embed", body(Map.of("inputs", "\u200b\u200d\ufeff"))), 400, "Empty");
        HttpResponse<String> openAi = client.post("/v1/embeddings", body(Map.of("input", "\u00a0\u2060")));
        assertThat(openAi.statusCode()).as(openAi.body()).isEqualTo(400);   // OpenAI's shape on /v1
        assertThat(json(openAi).get("error").get("message").asText()).contains("empty");
        expectError(client.post("/predict", body(Map.of("inputs", "   "))), 400, "Empty");
    }

    @Test
    void kserveShapesAreCheckedWithoutOverflow_andInputNamesChecked() {
        String path = "/v2/models/" + TestServers.EMBEDDER + "/infer";
        JsonNode wrap = expectError(client.post(path, "{\"inputs\": [{\"name\": \"text\", \"shape\": [18446744073709551617],"
                + " \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}"), 422, "Validation");
        assertThat(wrap.get("error").asText()).contains("64 bits");
        expectError(client.post(path, "{\"inputs\": [{\"name\": \"text\", \"shape\": [4294967296, 4294967296],"
                + " \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}"), 422, "Validation");
        JsonNode name = expectError(client.post(path, "{\"inputs\": [{\"name\": \"prompt\", \"shape\": [1],"
                + " \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}"), 422, "Validation");
        assertThat(name.get("error").asText()).contains("'prompt'").contains("'text'");
        assertThat(client.post(path, "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\","
                + " \"data\": [\"a\"]}]}").statusCode()).isEqualTo(200);
    }

    @Test
    void gzipBodiesAreDecoded_bombsAre413_otherEncodings415() throws Exception {
        String plain = body(Map.of("inputs", "a compressed request"));
        HttpResponse<String> gz = client.send(client.request("/embed").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gzip(plain))).build());
        assertThat(gz.statusCode()).as(gz.body()).isEqualTo(200);
        assertThat(json(gz).get(0)).isEqualTo(json(client.post("/embed", plain)).get(0));

        // 1 MB of one letter compresses to about 1 KB, far under the limit; inflated it is 4x over it.
        byte[] bomb = gzip("{\"inputs\": \"" + "a".repeat(1 << 20) + "\"}");
        assertThat((long) bomb.length).isLessThan(TestServers.MAX_BODY / 10);
        JsonNode tooBig = expectError(client.send(client.request("/embed").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(bomb)).build()),
                413, "PayloadTooLarge");
        assertThat(tooBig.get("error").asText()).contains("inflates");

        expectError(client.send(client.request("/embed").header("Content-Type", "application/json")
                .header("Content-Encoding", "br").POST(HttpRequest.BodyPublishers.ofString(plain)).build()),
                415, "UnsupportedMediaType");
        expectError(client.send(client.request("/embed").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofString(plain)).build()),
                400, "Validation");
    }

    @Test
    void echoedNamesAreTruncated() {
        String name = "m".repeat(20_000);
        JsonNode unknown = expectError(client.post("/embed", body(Map.of("inputs", "x", "model", name))), 404, "NotFound");
        assertThat(unknown.get("error").asText()).hasSizeLessThan(400).contains("…");
        JsonNode kserve = expectError(client.get("/v2/models/" + "k".repeat(3000)), 404, "NotFound");
        assertThat(kserve.get("error").asText()).hasSizeLessThan(400).contains("…");
    }

    @Test
    void protocolErrorsFromTheHttpServer_haveTheJsonShape_431_414_400() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "h".repeat(10_000) + "\r\n\r\n");
            RawHttp.Response r = raw.read(Duration.ofSeconds(30));
            expectError(r, 431, "HeadersTooLarge");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /livez?" + "q".repeat(5_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            expectError(raw.read(Duration.ofSeconds(30)), 414, "UriTooLong");
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n");
            expectError(raw.read(Duration.ofSeconds(30)), 400, "Validation");
        }
    }

    @Test
    void aClientHangingUpMidBody_isCountedAsADisconnect_andTheServerGoesOn() throws Exception {
        double before = Metrics.value(client, "peregrine_client_disconnects_total");
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServers.API_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inputs\": [\"half");
            // The request's body is being read: it is open on the server.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (Metrics.value(client, "peregrine_requests_in_flight") < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Metrics.value(client, "peregrine_client_disconnects_total") <= before && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(Metrics.value(client, "peregrine_client_disconnects_total")).isGreaterThan(before);
        assertThat(Metrics.value(client, "peregrine_requests_total", "status=500")).as("no internal error").isZero();
        assertThat(client.post("/embed", body(Map.of("inputs", "still serving"))).statusCode()).isEqualTo(200);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
