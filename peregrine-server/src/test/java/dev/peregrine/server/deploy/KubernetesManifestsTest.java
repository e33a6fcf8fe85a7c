package dev.peregrine.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifests in deploy/kubernetes/ against a real server: every probe path they name answers
 * 200, every metric the autoscaler queries is exported, and the shutdown timing adds up.
 */
class KubernetesManifestsTest {

    private static final Path MANIFESTS = Path.of("..", "deploy", "kubernetes");
    private static final Pattern METRIC = Pattern.compile("\\bperegrine_[a-z0-9_]+");

    private static List<JsonNode> documents;

    @BeforeAll
    static void parse() throws IOException {
        documents = new ArrayList<>();
        YAMLMapper yaml = new YAMLMapper();
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (MappingIterator<JsonNode> docs = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
                    while (docs.hasNext()) {
                        JsonNode doc = docs.next();
                        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                            documents.add(doc);
                        }
                    }
                }
            }
        }
        assertThat(documents).extracting(d -> d.path("kind").asText())
                .contains("Deployment", "Service", "ConfigMap", "ScaledObject", "Kustomization");
    }

    private static JsonNode resource(String kind, String name) {
        return documents.stream()
                .filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + MANIFESTS));
    }

    private static JsonNode container() {
        return resource("Deployment", "peregrine").path("spec").path("template").path("spec").path("containers").get(0);
    }

    private static String env(String name) {
        for (JsonNode e : container().path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        throw new AssertionError("the Deployment does not set " + name);
    }

    @Test
    void everyProbePathAnswers200_andEveryMetricTheScalerQueriesIsExported() {
        JsonNode c = container();
        Set<String> probePaths = new LinkedHashSet<>();
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode get = c.path(probe).path("httpGet");
            assertThat(get.isMissingNode()).as(probe + " is an HTTP probe").isFalse();
            assertThat(get.path("port").asText()).isEqualTo(c.path("ports").get(0).path("name").asText());
            probePaths.add(get.path("path").asText());
        }
        assertThat(probePaths).containsExactly("/startupz", "/readyz", "/livez");
        assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(Integer.parseInt(env("PEREGRINE_PORT")));

        Set<String> metrics = new LinkedHashSet<>();
        for (JsonNode trigger : resource("ScaledObject", "peregrine").path("spec").path("triggers")) {
            assertThat(trigger.path("type").asText()).isEqualTo("prometheus");
            Matcher m = METRIC.matcher(trigger.path("metadata").path("query").asText());
            while (m.find()) {
                metrics.add(m.group());
            }
            assertThat(Double.parseDouble(trigger.path("metadata").path("threshold").asText())).isPositive();
        }
        assertThat(documents).as("no CPU autoscaler beside KEDA's")
                .noneMatch(d -> d.path("kind").asText().equals("HorizontalPodAutoscaler"));
        assertThat(metrics).isNotEmpty();

        PeregrineServer server = TestServers.shared();
        TestClient client = new TestClient(server.port(), TestServers.API_KEY);
        for (String path : probePaths) {
            HttpResponse<String> response = client.get(path);
            assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
        }
        String exported = client.get("/metrics").body();
        for (String metric : metrics) {
            assertThat(exported).as("/metrics exports " + metric).containsPattern("(?m)^" + metric + "[{ ]");
        }
    }

    @Test
    void gracePeriod_coversThePreStopSleep_theShutdownTimeout_andAMargin() {
        JsonNode pod = resource("Deployment", "peregrine").path("spec").path("template").path("spec");
        int grace = pod.path("terminationGracePeriodSeconds").asInt();
        JsonNode preStop = container().path("lifecycle").path("preStop");
        int sleep = preStop.has("sleep") ? preStop.path("sleep").path("seconds").asInt()
                : Integer.parseInt(preStop.path("exec").path("command").get(1).asText());
        assertThat(sleep).isPositive();
        double shutdown = Long.parseLong(env("PEREGRINE_SHUTDOWN_TIMEOUT_MS")) / 1000.0;
        assertThat(grace).as("terminationGracePeriodSeconds").isGreaterThanOrEqualTo((int) Math.ceil(sleep + shutdown + 5));
    }

    @Test
    void configMapCarriesAValidPeregrineJson_mountedInTheServedModelFolder() throws IOException {
        String json = resource("ConfigMap", "peregrine-config").path("data").path("peregrine.json").asText();
        ServingHints hints = new ObjectMapper().readValue(json, ServingHints.class);
        assertThat(hints.threads()).isPositive();
        assertThat(hints.maxBatchSize()).isPositive();

        String models = env("PEREGRINE_MODELS");
        String folder = models.substring(models.indexOf('=') + 1);
        JsonNode mount = null;
        for (JsonNode m : container().path("volumeMounts")) {
            if (m.path("subPath").asText().equals(ServingHints.FILE_NAME)) {
                mount = m;
            }
        }
        assertThat(mount).as("peregrine.json is mounted").isNotNull();
        assertThat(mount.path("mountPath").asText()).isEqualTo(folder + "/" + ServingHints.FILE_NAME);
    }

    @Test
    void cacheUri_pointsAtTheRedisService() {
        JsonNode redis = resource("Service", "peregrine-redis");
        int port = redis.path("spec").path("ports").get(0).path("port").asInt();
        assertThat(env("PEREGRINE_CACHE")).isEqualTo("redis://peregrine-redis:" + port);
    }
}
