package dev.peregrine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PredictionCacheBuilderTest {

    @Test
    void badValues_areRejectedWithTheOptionsName() {
        PredictionCacheBuilder b = PredictionCache.builder();
        assertThatThrownBy(() -> b.maximumEntries(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maximumEntries");
        assertThatThrownBy(() -> b.maximumBytes(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maximumBytes");
        assertThatThrownBy(() -> b.ttl(Duration.ofNanos(10))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> b.redisTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redisTimeout");
        assertThatThrownBy(() -> b.redisBackoff(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redisBackoff");
        assertThatThrownBy(() -> b.redisFailureThreshold(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redisFailureThreshold");
        assertThatThrownBy(() -> b.redisKeyPrefix(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void unparsableRedisUri_isRejectedWithoutRepeatingThePassword() {
        assertThatThrownBy(() -> PredictionCache.builder().redis("redis://:s3cret@host:notaport"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("//***@host")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> PredictionCache.builder().redis("http://host:6379"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void redisUriForms_areAccepted() {
        for (String uri : new String[] {"redis://localhost:6379", "redis://:pw@localhost:6380/2", "rediss://cache.internal:6379",
                "redis://user:pw@localhost", "redis://[::1]:6379"}) {
            PredictionCache.builder().redis(uri);
        }
        assertThat(RedisLevel.describe(io.lettuce.core.RedisURI.create("redis://:pw@localhost:6380/2")))
                .isEqualTo("redis://localhost:6380/2");
    }

    @Test
    void entryFloorOver2GiB_isAConflict() {
        assertThatThrownBy(() -> PredictionCache.builder().maximumEntries(1).maximumBytes(1L << 40).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("per entry");
    }

    @Test
    void defaults_areTheDocumentedOnes() {
        PredictionCacheBuilder b = PredictionCache.builder();
        assertThat(b.maximumEntries).isEqualTo(100_000);
        assertThat(b.maximumBytes).isEqualTo(256L << 20);
        assertThat(b.ttl).isEqualTo(Duration.ofHours(1));
        assertThat(b.redisUri).isNull();
        assertThat(b.redisKeyPrefix).isEqualTo("peregrine:");
        assertThat(b.redisTimeout).isEqualTo(Duration.ofMillis(5));
        assertThat(b.entryWeightFloor()).isEqualTo(2685);
    }
}
