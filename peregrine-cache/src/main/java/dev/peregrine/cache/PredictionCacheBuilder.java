package dev.peregrine.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Every option of a {@link PredictionCache}, each with its default. Setters validate their argument
 * ({@link IllegalArgumentException} with the reason) and {@link #build()} checks that the options
 * fit together ({@link IllegalStateException}). Not thread-safe; a builder may build several caches.
 *
 * <h2>Bounding by entries and bytes at once</h2>
 * Caffeine bounds a cache by entry count or by weight, not both. This cache uses weight only: an
 * entry weighs its estimated heap bytes, but never less than {@code maximumBytes / maximumEntries}
 * (rounded up), and the weight limit is {@code maximumBytes}. Then the entries' bytes can never pass
 * {@code maximumBytes}, and neither can their number pass {@code maximumEntries} (each weighs at
 * least a {@code maximumEntries}-th of the limit); whichever bound is tighter for the entries'
 * actual sizes is the one that evicts. The byte estimate counts the floats (4 bytes each) plus a
 * fixed allowance for the key, the entry's objects and Caffeine's bookkeeping; it is an estimate
 * of heap use, not a measurement.
 */
public final class PredictionCacheBuilder {

    public static final long DEFAULT_MAXIMUM_ENTRIES = 100_000;
    public static final long DEFAULT_MAXIMUM_BYTES = 256L * 1024 * 1024;
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    public static final String DEFAULT_REDIS_KEY_PREFIX = "peregrine:";
    public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofMillis(5);
    public static final Duration DEFAULT_REDIS_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_REDIS_FAILURE_THRESHOLD = 3;
    public static final Duration DEFAULT_REDIS_BACKOFF = Duration.ofSeconds(1);

    long maximumEntries = DEFAULT_MAXIMUM_ENTRIES;
    long maximumBytes = DEFAULT_MAXIMUM_BYTES;
    Duration ttl = DEFAULT_TTL;
    RedisURI redisUri;
    String redisKeyPrefix = DEFAULT_REDIS_KEY_PREFIX;
    Duration redisTimeout = DEFAULT_REDIS_TIMEOUT;
    Duration redisConnectTimeout = DEFAULT_REDIS_CONNECT_TIMEOUT;
    int redisFailureThreshold = DEFAULT_REDIS_FAILURE_THRESHOLD;
    Duration redisBackoff = DEFAULT_REDIS_BACKOFF;
    Ticker ticker = Ticker.systemTicker();
    Executor executor = ForkJoinPool.commonPool();
    MeterRegistry meterRegistry;

    PredictionCacheBuilder() {
    }

    /** At most this many entries in memory (default 100,000). */
    public PredictionCacheBuilder maximumEntries(long value) {
        if (value < 1) {
            throw new IllegalArgumentException("maximumEntries must be >= 1, was " + value);
        }
        maximumEntries = value;
        return this;
    }

    /** At most this many estimated heap bytes of entries in memory (default 256 MiB). */
    public PredictionCacheBuilder maximumBytes(long value) {
        if (value < 1) {
            throw new IllegalArgumentException("maximumBytes must be >= 1, was " + value);
        }
        maximumBytes = value;
        return this;
    }

    /**
     * How long an entry lives after it was written, in memory and in Redis (default 1 hour). An
     * entry memory takes from Redis starts a new TTL in memory.
     */
    public PredictionCacheBuilder ttl(Duration value) {
        Objects.requireNonNull(value, "ttl");
        if (value.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, was " + value);
        }
        ttl = value;
        return this;
    }

    /**
     * The shared level: {@code redis://[[user]:password@]host:port[/db]}, {@code rediss://...} for
     * TLS, or null for none (the default). Lettuce's other URI forms (a Unix socket, Sentinel) are
     * accepted too. The server need not be up: the cache connects in the background.
     *
     * @throws IllegalArgumentException when the URI does not parse (the message never repeats a
     *                                  password)
     */
    public PredictionCacheBuilder redis(String uri) {
        if (uri == null || uri.isBlank()) {
            redisUri = null;
            return this;
        }
        String trimmed = uri.trim();
        RedisURI parsed;
        try {
            parsed = RedisURI.create(trimmed);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a Redis URI: '" + withoutCredentials(trimmed)
                    + "' (expected redis://[:password@]host:port[/db] or rediss://...): " + e.getMessage(), e);
        }
        if (parsed.getHost() == null && parsed.getSocket() == null && parsed.getSentinels().isEmpty()) {
            throw new IllegalArgumentException("Redis URI '" + withoutCredentials(trimmed) + "' names no host");
        }
        if (parsed.getHost() != null && parsed.getHost().contains(":") && !trimmed.contains("[")) {
            // Lettuce takes "host:notaport" for a host name.
            throw new IllegalArgumentException("Redis URI '" + withoutCredentials(trimmed) + "' has a port that is not a number");
        }
        redisUri = parsed;
        return this;
    }

    /** Prepended to every Redis key, so that several caches or applications can share one Redis (default {@code peregrine:}). */
    public PredictionCacheBuilder redisKeyPrefix(String value) {
        redisKeyPrefix = Objects.requireNonNull(value, "redisKeyPrefix");
        return this;
    }

    /**
     * The hard deadline of a Redis read on a request's path (default 5 ms), per 64 texts of the
     * request (a request of 1,000 new texts may wait 16 times as long, against a computation that
     * takes far longer): past it the texts are misses and go to the model. A Redis on loopback or
     * in the same zone answers an MGET of a few vectors in well under a millisecond.
     */
    public PredictionCacheBuilder redisTimeout(Duration value) {
        redisTimeout = positive(value, "redisTimeout");
        return this;
    }

    /** How long one attempt to connect (and handshake) may take (default 1 s); never on a request's path. */
    public PredictionCacheBuilder redisConnectTimeout(Duration value) {
        redisConnectTimeout = positive(value, "redisConnectTimeout");
        return this;
    }

    /** Failures in a row that open the circuit, so that Redis is skipped (default 3). */
    public PredictionCacheBuilder redisFailureThreshold(int value) {
        if (value < 1) {
            throw new IllegalArgumentException("redisFailureThreshold must be >= 1, was " + value);
        }
        redisFailureThreshold = value;
        return this;
    }

    /**
     * How long Redis is skipped once the circuit opens before one request probes it again, and
     * the longest wait between attempts to connect (default 1 s).
     */
    public PredictionCacheBuilder redisBackoff(Duration value) {
        Objects.requireNonNull(value, "redisBackoff");
        if (value.toMillis() < 1) {
            throw new IllegalArgumentException("redisBackoff must be at least 1 ms, was " + value);
        }
        redisBackoff = value;
        return this;
    }

    /**
     * The time source of expiry and of the circuit's backoff (default the system's monotonic
     * clock); tests pass one they advance by hand.
     */
    public PredictionCacheBuilder ticker(Ticker value) {
        ticker = Objects.requireNonNull(value, "ticker");
        return this;
    }

    /**
     * Where work after a Redis reply runs (decoding, then calling {@code compute}), and Caffeine's
     * maintenance (default the common fork-join pool). Tests pass {@code Runnable::run}.
     */
    public PredictionCacheBuilder executor(Executor value) {
        executor = Objects.requireNonNull(value, "executor");
        return this;
    }

    /** Where the {@code peregrine.cache.*} meters go (default a registry of the cache's own). */
    public PredictionCacheBuilder meterRegistry(MeterRegistry value) {
        meterRegistry = Objects.requireNonNull(value, "meterRegistry");
        return this;
    }

    /**
     * Builds the cache and, when Redis is configured, starts connecting in the background.
     *
     * @throws IllegalStateException when {@code maximumBytes / maximumEntries} is over 2 GiB (an
     *                               entry's weight must fit in an int)
     */
    public PredictionCache build() {
        long floor = entryWeightFloor();
        if (floor > Integer.MAX_VALUE) {
            throw new IllegalStateException("maximumBytes / maximumEntries must be at most " + Integer.MAX_VALUE
                    + " bytes per entry, was " + floor + " (" + maximumBytes + " / " + maximumEntries + ")");
        }
        TieredPredictionCache cache = new TieredPredictionCache(this,
                meterRegistry != null ? meterRegistry : new SimpleMeterRegistry());
        cache.start();
        return cache;
    }

    long entryWeightFloor() {
        return maximumBytes / maximumEntries + (maximumBytes % maximumEntries == 0 ? 0 : 1);
    }

    private static Duration positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    static String withoutCredentials(String uri) {
        return uri.replaceAll("//[^/@]*@", "//***@");
    }
}
