package dev.peregrine.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The cache's meters, all under {@code peregrine.cache} ({@code peregrine_cache_*} in Prometheus).
 * Counters count texts (distinct within a request), not requests. Thread-safe (Micrometer's meters
 * are); {@link #close} removes every meter from the registry.
 */
final class CacheMetrics implements AutoCloseable {

    static final String PREFIX = "peregrine.cache.";
    static final String MEMORY = "memory";
    static final String REDIS = "redis";

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final Counter memoryHits;
    final Counter memoryMisses;
    final Counter redisHits;
    final Counter redisMisses;
    final Counter coalesced;
    final Counter bypassed;
    private final Map<CacheError, Counter> errors = new EnumMap<>(CacheError.class);

    CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
        memoryHits = counter("hits", "level", MEMORY, "texts answered from the in-process level");
        memoryMisses = counter("misses", "level", MEMORY, "texts not in the in-process level nor in flight");
        redisHits = counter("hits", "level", REDIS, "texts answered from Redis");
        redisMisses = counter("misses", "level", REDIS, "texts asked of Redis and not found (or unreadable)");
        coalesced = counter("coalesced", null, null,
                "texts answered by a computation already in flight for another request");
        bypassed = counter("bypassed", null, null, "texts of requests that opted out of the cache");
        for (CacheError e : CacheError.values()) {
            errors.put(e, counter("errors", "err", e.tag(), "failed uses of Redis, by cause"));
        }
    }

    void error(CacheError kind) {
        errors.get(kind).increment();
    }

    double errors(CacheError kind) {
        return errors.get(kind).count();
    }

    <T> void gauge(String name, String level, T owner, ToDoubleFunction<T> value, String description, String unit) {
        Gauge.Builder<T> builder = Gauge.builder(PREFIX + name, owner, value).description(description)
                .strongReference(true);
        if (level != null) {
            builder.tag("level", level);
        }
        if (unit != null) {
            builder.baseUnit(unit);
        }
        meters.add(builder.register(registry));
    }

    void memoryGauges(Supplier<Long> entries, Supplier<Long> bytes) {
        gauge("entries", MEMORY, entries, s -> s.get(), "entries in the in-process level, in flight included", null);
        gauge("bytes", MEMORY, bytes, s -> s.get(),
                "estimated heap bytes of the in-process level's entries (keys, values, bookkeeping)", BaseUnits.BYTES);
    }

    private Counter counter(String name, String tagKey, String tagValue, String description) {
        Counter.Builder builder = Counter.builder(PREFIX + name).description(description);
        if (tagKey != null) {
            builder.tag(tagKey, tagValue);
        }
        Counter counter = builder.register(registry);
        meters.add(counter);
        return counter;
    }

    @Override
    public void close() {
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }
}
