package dev.peregrine.server.cache;

import static dev.peregrine.server.TestClient.body;
import static dev.peregrine.server.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.cache.FakeRedis;
import dev.peregrine.cache.RedisServer;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.Metrics;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TestClient;
import dev.peregrine.server.TestServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The prediction cache behind real HTTP, with a real redis-server (and a misbehaving fake one). */
class CacheServerTest {

    private static RedisServer redis;
    private static PeregrineServer a;
    private static PeregrineServer b;
    private static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        a = PeregrineServer.start(config(redis.uri()).build(), TestServers.resolver());
        b = PeregrineServer.start(config(redis.uri()).build(), TestServers.resolver());
        engine = TestServers.directEmbedder();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, engine, redis}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The embedder alone, drift off, the given cache. */
    static ServeConfig.Builder config(String cache) {
        return TestServers.config().models(List.of()).model(TestServers.EMBEDDER, TestServers.EMBEDDER)
                .drift(DriftConfig.disabled())
                .cache(CacheConfig.parse(cache, Duration.ofHours(1), 10_000, 64L << 20, "peregrine-test:",
                        Duration.ofMillis(20), Set.of()));
    }

    private static float[] embed(TestClient client, String text, boolean cached) {
        var request = client.request("/embed").header("Content-Type", "application/json");
        if (!cached) {
            request.header("Cache-Control", "no-cache");
        }
        HttpResponse<String> r = client.send(request.POST(java.net.http.HttpRequest.BodyPublishers
                .ofString(body(Map.of("inputs", text)))).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode v = json(r).get(0);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) v.get(i).asDouble();
        }
        return out;
    }

    @Test
    void twoServersSharingRedis_aTextComputedByOneIsAHitOnTheOther_andAnswersAreIdentical() throws Exception {
        TestClient ca = new TestClient(a.port(), null);
        TestClient cb = new TestClient(b.port(), null);
        String text = "shared between replicas " + UUID.randomUUID();
        long keys = redis.dbSize();
        float[] fromA = embed(ca, text, true);
        // A writes to Redis in the background, pipelined: wait until the key is there.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (redis.dbSize() <= keys && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        double redisHits = Metrics.value(cb, "peregrine_cache_hits_total", "level=redis");
        double passesOnB = Metrics.value(cb, "peregrine_batch_size_count");
        float[] fromB = embed(cb, text, true);
        assertThat(Metrics.value(cb, "peregrine_cache_hits_total", "level=redis")).isEqualTo(redisHits + 1);
        assertThat(Metrics.value(cb, "peregrine_batch_size_count")).as("B did not run the model").isEqualTo(passesOnB);
        assertThat(fromB).containsExactly(fromA);
        // Uncached answers are the same vectors, computed again.
        float[] uncached = embed(cb, text, false);
        assertThat(uncached).containsExactly(fromA, org.assertj.core.api.Assertions.within(1e-6f));
        float[] direct = engine.embed(List.of(text), true).get(0);
        assertThat(fromA).containsExactly(direct, org.assertj.core.api.Assertions.within(1e-5f));
        assertThat(Metrics.value(cb, "peregrine_batch_size_count")).as("B ran only the uncached request")
                .isEqualTo(passesOnB + 1);
    }

    @Test
    void killingRedisMidLoad_failsNoRequest_andHitsResumeAfterItRestarts() throws Exception {
        TestClient ca = new TestClient(a.port(), null);
        TestClient cb = new TestClient(b.port(), null);
        List<String> pool = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            pool.add("recurring question number " + i);
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(6);
        for (int t = 0; t < 6; t++) {
            int seed = t;
            clients.submit(() -> {
                java.util.Random random = new java.util.Random(seed);
                while (running.get()) {
                    List<String> texts = new ArrayList<>();
                    for (int k = 0; k < 4; k++) {
                        texts.add(random.nextInt(5) == 0 ? "fresh " + UUID.randomUUID() : pool.get(random.nextInt(pool.size())));
                    }
                    HttpResponse<String> r = (seed % 2 == 0 ? ca : cb).post("/embed", body(Map.of("inputs", texts)));
                    if (r.statusCode() == 200 && json(r).size() == 4) {
                        ok.incrementAndGet();
                    } else {
                        failures.add(r.statusCode() + " " + r.body());
                    }
                }
                return null;
            });
        }
        Thread.sleep(1500);
        redis.kill();
        Thread.sleep(2000);
        redis.restart();
        Thread.sleep(1500);
        running.set(false);
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).as("failed requests").isEmpty();
        assertThat(ok.get()).isGreaterThan(20);
        assertThat(Metrics.value(ca, "peregrine_cache_errors_total")).as("Redis errors counted").isPositive();

        // After the restart Redis is empty: a text one server computes must become a Redis hit on the other.
        double before = Metrics.value(cb, "peregrine_cache_hits_total", "level=redis");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Metrics.value(cb, "peregrine_cache_hits_total", "level=redis") <= before && System.nanoTime() < deadline) {
            String text = "after the restart " + UUID.randomUUID();
            embed(ca, text, true);
            Thread.sleep(100);
            embed(cb, text, true);
        }
        assertThat(Metrics.value(cb, "peregrine_cache_hits_total", "level=redis")).as("hits resumed").isGreaterThan(before);
    }

    @Test
    void slowOrGarbageRedis_neverDelaysOrBreaksAnAnswer() throws Exception {
        for (FakeRedis.Mode mode : FakeRedis.Mode.values()) {
            try (FakeRedis fake = new FakeRedis(mode, Duration.ofSeconds(3));
                 PeregrineServer server = PeregrineServer.start(config(fake.uri()).build(), TestServers.resolver())) {
                TestClient client = new TestClient(server.port(), null);
                for (int i = 0; i < 6; i++) {
                    String text = mode + " request " + i;
                    long t0 = System.nanoTime();
                    float[] v = embed(client, text, true);
                    long millis = (System.nanoTime() - t0) / 1_000_000;
                    assertThat(millis).as("%s answered in %d ms; Redis would take 3000", mode, millis).isLessThan(1500);
                    assertThat(v).containsExactly(engine.embed(List.of(text), true).get(0),
                            org.assertj.core.api.Assertions.within(1e-5f));
                }
                assertThat(Metrics.value(client, "peregrine_cache_errors_total")).as(mode + " counted as errors").isPositive();
            }
        }
    }

    @Test
    void noCacheHeader_andExcludedModels_bypassTheCache() {
        try (PeregrineServer server = PeregrineServer.start(config("memory").build(), TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            assertThat(Metrics.value(client, "peregrine_cache_bypassed_total")).isZero();
            embed(client, "opted out", false);
            embed(client, "opted out", false);
            assertThat(Metrics.value(client, "peregrine_cache_hits_total")).isZero();
            assertThat(Metrics.value(client, "peregrine_cache_misses_total")).isZero();
            assertThat(Metrics.value(client, "peregrine_cache_bypassed_total")).as("one text per no-cache request")
                    .isEqualTo(2);
            embed(client, "opted in", true);
            embed(client, "opted in", true);
            assertThat(Metrics.value(client, "peregrine_cache_hits_total", "level=memory")).isEqualTo(1);
            assertThat(Metrics.value(client, "peregrine_cache_bypassed_total")).as("cached requests are not bypasses")
                    .isEqualTo(2);
        }
        ServeConfig excluded = config("memory").cache(CacheConfig.parse("memory", Duration.ofHours(1), 100, 1 << 20,
                "p:", Duration.ofMillis(5), Set.of(TestServers.EMBEDDER))).build();
        try (PeregrineServer server = PeregrineServer.start(excluded, TestServers.resolver())) {
            TestClient client = new TestClient(server.port(), null);
            embed(client, "never cached", true);
            embed(client, "never cached", true);
            assertThat(Metrics.value(client, "peregrine_cache_misses_total")).isZero();
            assertThat(Metrics.value(client, "peregrine_cache_bypassed_total")).as("an excluded model never reaches the cache")
                    .isZero();
            assertThat(Metrics.value(client, "peregrine_batch_size_count")).isEqualTo(2);
        }
    }

    @Test
    void tooLongText_isReportedAtItsPlaceInTheRequest_whenOthersComeFromTheCache() {
        TestClient client = new TestClient(a.port(), null);
        embed(client, "a short cached text", true);
        HttpResponse<String> r = client.post("/embed", body(Map.of("inputs",
                List.of("a short cached text", "word ".repeat(2000)), "truncate", false)));
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(json(r).get("error").asText()).contains("input 1 has 2002 tokens").contains("limit of 256");
    }
}
