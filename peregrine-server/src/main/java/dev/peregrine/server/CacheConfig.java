package dev.peregrine.server;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The prediction cache's settings, part of {@link ServeConfig}.
 *
 * @param mode       off, memory (in-process only) or redis (in-process, then a shared Redis)
 * @param redisUri   {@code redis://[:password@]host:port[/db]} or {@code rediss://...} when mode is redis
 * @param ttl        how long an entry lives (memory and Redis)
 * @param maxEntries most entries in memory
 * @param maxBytes   most estimated bytes in memory
 * @param redisPrefix prefix of every Redis key (several deployments can share one Redis)
 * @param redisTimeout longest a request waits for Redis before asking the model
 * @param exclude    models that never use the cache
 */
public record CacheConfig(Mode mode, String redisUri, Duration ttl, long maxEntries, long maxBytes, String redisPrefix,
                          Duration redisTimeout, Set<String> exclude) {

    /** Where predictions are cached. */
    public enum Mode { OFF, MEMORY, REDIS }

    public static final String DEFAULT_CACHE = "memory";
    public static final String DEFAULT_TTL_SECONDS = "3600";
    public static final long DEFAULT_MAX_ENTRIES = 100_000;
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    public static final String DEFAULT_REDIS_PREFIX = "peregrine:";
    public static final String DEFAULT_REDIS_TIMEOUT_MS = "5";

    public CacheConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(redisPrefix, "redisPrefix");
        Objects.requireNonNull(redisTimeout, "redisTimeout");
        exclude = Set.copyOf(exclude);
        if (mode == Mode.REDIS && (redisUri == null || redisUri.isBlank())) {
            throw new IllegalArgumentException("a Redis cache needs a URI: --cache redis://host:port");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("cache TTL must be positive, was " + ttl);
        }
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("cache limits must be positive");
        }
        if (redisTimeout.isNegative() || redisTimeout.isZero()) {
            throw new IllegalArgumentException("Redis timeout must be positive, was " + redisTimeout);
        }
    }

    /** The defaults: an in-process cache. */
    public static CacheConfig defaults() {
        return parse(DEFAULT_CACHE, Duration.ofSeconds(Long.parseLong(DEFAULT_TTL_SECONDS)), DEFAULT_MAX_ENTRIES,
                DEFAULT_MAX_BYTES, DEFAULT_REDIS_PREFIX, Duration.ofMillis(Long.parseLong(DEFAULT_REDIS_TIMEOUT_MS)), Set.of());
    }

    /** No cache at all. */
    public static CacheConfig off() {
        CacheConfig d = defaults();
        return new CacheConfig(Mode.OFF, null, d.ttl(), d.maxEntries(), d.maxBytes(), d.redisPrefix(), d.redisTimeout(), Set.of());
    }

    /**
     * @param cache {@code off}, {@code memory}, or a Redis URI
     */
    public static CacheConfig parse(String cache, Duration ttl, long maxEntries, long maxBytes, String redisPrefix,
                                    Duration redisTimeout, Set<String> exclude) {
        String c = cache == null ? DEFAULT_CACHE : cache.trim();
        String lower = c.toLowerCase(Locale.ROOT);
        Mode mode;
        String uri = null;
        if (lower.equals("off") || lower.equals("none") || lower.equals("false")) {
            mode = Mode.OFF;
        } else if (lower.equals("memory") || lower.isEmpty()) {
            mode = Mode.MEMORY;
        } else if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            mode = Mode.REDIS;
            uri = c;
        } else {
            throw new IllegalArgumentException("--cache must be off, memory or a redis:// URI, was '" + c + "'");
        }
        return new CacheConfig(mode, uri, ttl, maxEntries, maxBytes, redisPrefix, redisTimeout, exclude);
    }

    /** For the start-up log: the Redis password is redacted. */
    public String describe() {
        return switch (mode) {
            case OFF -> "off";
            case MEMORY -> "memory";
            case REDIS -> "memory + " + redisUri.replaceAll("//[^@/]*@", "//(credentials redacted)@");
        };
    }
}
