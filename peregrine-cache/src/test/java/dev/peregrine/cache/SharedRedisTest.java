package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import static dev.peregrine.cache.RedisTesting.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several caches (replicas) sharing one real redis-server. */
class SharedRedisTest {

    private static final CacheScope SCOPE = new CacheScope("tiny", "fp-shared", "truncate=true");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static RedisServer redis;
    private static RedisTesting.Inspector inspector;

    private final TinyModel model = TinyModel.shared();
    private final List<PredictionCache> caches = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
        inspector = new RedisTesting.Inspector(redis.uri());
    }

    @AfterAll
    static void stopRedis() throws Exception {
        inspector.close();
        redis.close();
    }

    @BeforeEach
    void clean() {
        model.reset();
        inspector.sync().flushall();
    }

    @AfterEach
    void closeCaches() {
        caches.forEach(PredictionCache::close);
    }

    /** A replica's cache, connected. */
    private PredictionCache replica(SimpleMeterRegistry registry, PredictionCacheBuilder builder) throws Exception {
        PredictionCache cache = builder.redis(redis.uri()).redisTimeout(Duration.ofSeconds(1))
                .meterRegistry(registry).build();
        caches.add(cache);
        Meters meters = new Meters(registry);
        awaitTrue("connected to Redis", WAIT, () -> meters.gauge("redis.connected") == 1);
        return cache;
    }

    private PredictionCache replica(SimpleMeterRegistry registry) throws Exception {
        return replica(registry, PredictionCache.builder());
    }

    private static List<TextResult> await(CompletableFuture<List<TextResult>> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        KeyScanCursor<byte[]> cursor = inspector.sync().scan(ScanArgs.Builder.matches(prefix + "*").limit(1000));
        while (true) {
            cursor.getKeys().forEach(k -> keys.add(new String(k, StandardCharsets.UTF_8)));
            if (cursor.isFinished()) {
                return keys;
            }
            cursor = inspector.sync().scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
        }
    }

    @Test
    void textComputedByOneReplica_isAHitOnTheOther_withIdenticalValues() throws Exception {
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        PredictionCache a = replica(registryA);
        PredictionCache b = replica(registryB);
        List<String> texts = List.of("the cat sat", "on the mat", "ünïcödé ✓ 🐈", "the cat sat");

        List<TextResult> computed = await(a.get(SCOPE, texts, false, model.compute()));
        assertThat(model.calls.get()).isEqualTo(1);
        awaitTrue("A's entries in Redis", WAIT, () -> keys("peregrine:").size() == 3);

        List<TextResult> shared = await(b.get(SCOPE, texts, false, model.compute()));
        assertThat(model.calls.get()).as("B computed nothing").isEqualTo(1);
        assertThat(shared).isEqualTo(computed);
        assertThat(new Meters(registryB).redisHits()).isEqualTo(3);
        assertThat(new Meters(registryB).redisMisses()).isZero();

        List<TextResult> uncached = await(b.get(SCOPE, texts, true, model.compute()));
        assertThat(uncached).as("cached and uncached answers are identical").isEqualTo(shared);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(Float.floatToRawIntBits(shared.get(i).values()[0]))
                    .isEqualTo(Float.floatToRawIntBits(uncached.get(i).values()[0]));
        }
    }

    @Test
    void entries_carryThePrefixAndTheTtl() throws Exception {
        PredictionCache cache = replica(new SimpleMeterRegistry(),
                PredictionCache.builder().redisKeyPrefix("test-prefix:").ttl(Duration.ofSeconds(30)));
        await(cache.get(SCOPE, List.of("one", "two"), false, model.compute()));
        awaitTrue("entries in Redis", WAIT, () -> keys("test-prefix:").size() == 2);

        assertThat(keys("")).hasSize(2);
        for (String key : keys("test-prefix:")) {
            assertThat(key).matches("test-prefix:[A-Za-z0-9_-]{43}");
            long ttl = inspector.sync().pttl(key.getBytes(StandardCharsets.UTF_8));
            assertThat(ttl).isBetween(1L, 30_000L);
            byte[] value = inspector.sync().get(key.getBytes(StandardCharsets.UTF_8));
            assertThat(value.length).as("3 floats and a small header").isBetween(12 + 12 + 2, 12 + 12 + 10);
        }
    }

    @Test
    void unreadableEntry_isAMissCountedAsDecodeError_andIsOverwritten() throws Exception {
        PredictionCache writer = replica(new SimpleMeterRegistry());
        List<TextResult> good = await(writer.get(SCOPE, List.of("victim"), false, model.compute()));
        awaitTrue("entry in Redis", WAIT, () -> keys("peregrine:").size() == 1);
        byte[] key = keys("peregrine:").get(0).getBytes(StandardCharsets.UTF_8);
        inspector.sync().set(key, "not an entry".getBytes(StandardCharsets.UTF_8));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PredictionCache reader = replica(registry);
        assertThat(await(reader.get(SCOPE, List.of("victim"), false, model.compute()))).isEqualTo(good);
        Meters meters = new Meters(registry);
        assertThat(meters.errors("decode")).isEqualTo(1);
        assertThat(meters.redisMisses()).isEqualTo(1);
        assertThat(model.calls.get()).isEqualTo(2);

        awaitTrue("entry rewritten", WAIT, () -> inspector.sync().get(key)[0] == PredictionCodec.MAGIC);
        SimpleMeterRegistry third = new SimpleMeterRegistry();
        assertThat(await(replica(third).get(SCOPE, List.of("victim"), false, model.compute()))).isEqualTo(good);
        assertThat(new Meters(third).redisHits()).isEqualTo(1);
    }

    @Test
    void redisUnreachableAtStart_servesFromTheModel_andConnectsWhenRedisAppears() throws Exception {
        int port = RedisServer.freePort();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Meters meters = new Meters(registry);
        PredictionCache cache = PredictionCache.builder().redis("redis://127.0.0.1:" + port)
                .redisBackoff(Duration.ofMillis(50)).redisTimeout(Duration.ofSeconds(1)).meterRegistry(registry).build();
        caches.add(cache);

        assertThat(await(cache.get(SCOPE, List.of("early"), false, model.compute())))
                .isEqualTo(model.direct(List.of("early")));
        awaitTrue("a failed connection attempt", WAIT, () -> meters.errors("connection") >= 1);
        assertThat(meters.gauge("redis.connected")).isZero();

        try (RedisServer late = RedisServer.startOn(port)) {
            awaitTrue("connected to the late Redis", WAIT, () -> meters.gauge("redis.connected") == 1);
            await(cache.get(SCOPE, List.of("late"), false, model.compute()));
            try (RedisTesting.Inspector lateInspector = new RedisTesting.Inspector(late.uri())) {
                awaitTrue("entry written to the late Redis", WAIT, () -> lateInspector.sync().dbsize() == 1);
            }
        }
    }
}
