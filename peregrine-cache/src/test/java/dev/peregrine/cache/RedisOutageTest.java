package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import static dev.peregrine.cache.RedisTesting.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real redis-server killed under load, and a dead one skipped. */
class RedisOutageTest {

    private static final CacheScope SCOPE = new CacheScope("tiny", "fp-outage", "truncate=true");
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Bounds the load loop whatever happens. */
    private static final int MAX_REQUESTS_PER_CLIENT = 20_000;

    private final TinyModel model = TinyModel.shared();
    private final List<PredictionCache> caches = new ArrayList<>();
    private RedisServer redis;

    @BeforeEach
    void start() throws Exception {
        model.reset();
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        caches.forEach(PredictionCache::close);
        redis.close();
    }

    private PredictionCache cache(SimpleMeterRegistry registry, Duration backoff) throws Exception {
        PredictionCache cache = PredictionCache.builder().redis(redis.uri())
                .redisTimeout(Duration.ofMillis(500)).redisBackoff(backoff).meterRegistry(registry).build();
        caches.add(cache);
        Meters meters = new Meters(registry);
        awaitTrue("connected", WAIT, () -> meters.gauge("redis.connected") == 1);
        return cache;
    }

    @Test
    void killingRedisUnderLoad_failsNoRequest_andHitsResumeAfterRestart() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Meters meters = new Meters(registry);
        PredictionCache cache = cache(registry, Duration.ofMillis(100));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger completed = new AtomicInteger();
        AtomicLong slowestNanos = new AtomicLong();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; i < MAX_REQUESTS_PER_CLIENT && !stop.get(); i++) {
                    // A fresh text (a miss everywhere: Redis is asked, then the model) and a repeated one.
                    List<String> texts = List.of("load " + client + " " + i, "common " + (i % 10));
                    long start = System.nanoTime();
                    try {
                        List<TextResult> out = cache.get(SCOPE, texts, false, model.compute()).get(5, TimeUnit.SECONDS);
                        if (out.size() != 2 || out.get(0).values().length != 3) {
                            failures.add(new AssertionError("wrong answer: " + out));
                        }
                    } catch (Exception e) {
                        failures.add(e);
                    }
                    slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                    completed.incrementAndGet();
                }
            }, "load-" + c);
            clients.add(t);
            t.start();
        }
        try {
            awaitTrue("load running with Redis", WAIT, () -> completed.get() >= 200 && meters.redisMisses() >= 200);
            redis.kill();
            int atKill = completed.get();
            int computedAtKill = model.texts.get();
            awaitTrue("load running without Redis", WAIT, () -> completed.get() >= atKill + 300
                    && meters.errors("connection") >= 1);
            assertThat(model.texts.get()).as("the model answered meanwhile").isGreaterThan(computedAtKill + 300);

            redis.restart();
            SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
            Meters other = new Meters(otherRegistry);
            PredictionCache otherReplica = cache(otherRegistry, Duration.ofMillis(100));
            // Hits resume: a text the loaded cache computes after the restart reaches Redis and is a
            // hit for another replica.
            try (RedisTesting.Inspector inspector = new RedisTesting.Inspector(redis.uri())) {
                AtomicInteger probe = new AtomicInteger();
                awaitTrue("a Redis hit after the restart", WAIT, () -> {
                    String text = "after restart " + probe.incrementAndGet();
                    try {
                        cache.get(SCOPE, List.of(text), false, model.compute()).get(5, TimeUnit.SECONDS);
                        byte[] key = new CacheKey.Hasher(SCOPE).key(text).redisKey("peregrine:".getBytes(StandardCharsets.UTF_8));
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                        while (inspector.sync().exists(key) == 0 && System.nanoTime() < until) {
                            Thread.sleep(5);
                        }
                        double before = other.redisHits();
                        otherReplica.get(SCOPE, List.of(text), false, model.compute()).get(5, TimeUnit.SECONDS);
                        return other.redisHits() == before + 1;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
            }
        } finally {
            stop.set(true);
            for (Thread t : clients) {
                t.join(10_000);
            }
        }
        assertThat(failures).as("failed requests").isEmpty();
        assertThat(completed.get()).isGreaterThan(500);
        assertThat(Duration.ofNanos(slowestNanos.get())).as("slowest request").isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void deadRedis_isSkippedWhileTheCircuitIsOpen() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Meters meters = new Meters(registry);
        PredictionCache cache = cache(registry, Duration.ofHours(1));
        redis.kill();
        awaitTrue("the client noticed", WAIT, () -> meters.gauge("redis.connected") == 0);

        AtomicInteger n = new AtomicInteger();
        awaitTrue("circuit open", WAIT, () -> {
            try {
                cache.get(SCOPE, List.of("while dead " + n.incrementAndGet()), false, model.compute()).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return meters.gauge("redis.circuit.open") == 1;
        });
        double errors = meters.errors("connection") + meters.errors("timeout");
        double redisMisses = meters.redisMisses();
        assertThat(errors).isGreaterThanOrEqualTo(PredictionCacheBuilder.DEFAULT_REDIS_FAILURE_THRESHOLD);
        assertThat(n.get()).as("requests until the circuit opened").isLessThanOrEqualTo(
                PredictionCacheBuilder.DEFAULT_REDIS_FAILURE_THRESHOLD);

        for (int i = 0; i < 100; i++) {
            assertThat(cache.get(SCOPE, List.of("skipped " + i), false, model.compute()).get(5, TimeUnit.SECONDS))
                    .hasSize(1);
        }
        assertThat(meters.errors("connection") + meters.errors("timeout")).as("Redis was not asked").isEqualTo(errors);
        assertThat(meters.redisMisses()).isEqualTo(redisMisses);
        assertThat(meters.memoryMisses()).isGreaterThanOrEqualTo(100);
    }
}
