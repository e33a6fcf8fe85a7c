package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import static dev.peregrine.cache.RedisTesting.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A "Redis" on loopback that passes the handshake and then answers MGET slowly, with bytes that are
 * not RESP, or with well-formed values that are not entries: every request still gets the model's
 * answer, within the Redis deadline plus the model's own time.
 */
class MisbehavingRedisTest {

    private static final CacheScope SCOPE = new CacheScope("tiny", "fp-fake", "truncate=true");
    private static final Duration REDIS_TIMEOUT = Duration.ofMillis(50);
    /** Far longer than any request may take, so that waiting for the fake would show. */
    private static final Duration FAKE_DELAY = Duration.ofSeconds(5);
    /** The deadline plus the tiny model's time, with room for a loaded 2-core machine. */
    private static final Duration REQUEST_BOUND = Duration.ofMillis(1500);

    private final TinyModel model = TinyModel.shared();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Meters meters = new Meters(registry);
    private FakeRedis fake;
    private PredictionCache cache;

    @BeforeEach
    void resetModel() {
        model.reset();
    }

    @AfterEach
    void close() throws Exception {
        if (cache != null) {
            cache.close();
        }
        fake.close();
    }

    private void start(FakeRedis.Mode mode) throws Exception {
        start(mode, REDIS_TIMEOUT);
    }

    private void start(FakeRedis.Mode mode, Duration redisTimeout) throws Exception {
        fake = new FakeRedis(mode, FAKE_DELAY);
        cache = PredictionCache.builder().redis(fake.uri()).redisTimeout(redisTimeout)
                .redisBackoff(Duration.ofMillis(20)).meterRegistry(registry).build();
        awaitTrue("handshake with the fake", Duration.ofSeconds(10), () -> meters.gauge("redis.connected") == 1);
    }

    /** Sends requests of fresh texts one after another; each must be timely and right. */
    private void requestsAnswerCorrectlyAndInTime(int requests) throws Exception {
        for (int i = 0; i < requests; i++) {
            List<String> texts = List.of("question " + i, "another question " + i);
            long start = System.nanoTime();
            List<TextResult> out = cache.get(SCOPE, texts, false, model.compute()).get(10, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("request " + i).isLessThan(REQUEST_BOUND);
            assertThat(out).isEqualTo(model.direct(texts));
        }
    }

    @Test
    void slowRedis_costsAtMostTheDeadline() throws Exception {
        start(FakeRedis.Mode.SLOW);
        requestsAnswerCorrectlyAndInTime(5);
        assertThat(fake.mgets()).as("Redis was asked").isGreaterThanOrEqualTo(1);
        assertThat(meters.errors("timeout")).isGreaterThanOrEqualTo(1);
        assertThat(meters.redisHits()).isZero();
    }

    @Test
    void redisAnsweringBytesThatAreNotResp_isAMiss_andTheConnectionIsReplaced() throws Exception {
        // A generous deadline: the garbage comes at once, and must be recognized as such.
        start(FakeRedis.Mode.GARBAGE_BYTES, Duration.ofSeconds(1));
        requestsAnswerCorrectlyAndInTime(5);
        assertThat(fake.mgets()).as("Redis was asked").isGreaterThanOrEqualTo(1);
        assertThat(meters.errors("protocol")).isGreaterThanOrEqualTo(1);
        assertThat(meters.errors("timeout")).isZero();
        assertThat(meters.redisHits()).isZero();
        awaitTrue("a new connection", Duration.ofSeconds(10), () -> fake.connections() >= 2);
    }

    @Test
    void redisAnsweringValuesThatAreNotEntries_isAMissAndADecodeError() throws Exception {
        // A generous deadline: this test is about reading the answers, which come at once.
        start(FakeRedis.Mode.GARBAGE_VALUES, Duration.ofSeconds(1));
        requestsAnswerCorrectlyAndInTime(5);
        assertThat(fake.mgets()).isEqualTo(5);
        assertThat(meters.errors("decode")).isEqualTo(10);
        assertThat(meters.redisMisses()).isEqualTo(10);
        assertThat(meters.redisHits()).isZero();
    }
}
