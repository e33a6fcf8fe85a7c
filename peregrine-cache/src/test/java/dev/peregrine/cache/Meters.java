package dev.peregrine.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;

/** Reads the cache's meters as a dashboard would. */
final class Meters {

    private final MeterRegistry registry;

    Meters(MeterRegistry registry) {
        this.registry = registry;
    }

    double count(String name, String... tags) {
        RequiredSearch search = registry.get("peregrine.cache." + name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counter().count();
    }

    double gauge(String name, String... tags) {
        RequiredSearch search = registry.get("peregrine.cache." + name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.gauge().value();
    }

    double memoryHits() {
        return count("hits", "level", "memory");
    }

    double memoryMisses() {
        return count("misses", "level", "memory");
    }

    double redisHits() {
        return count("hits", "level", "redis");
    }

    double redisMisses() {
        return count("misses", "level", "redis");
    }

    double errors(String kind) {
        return count("errors", "err", kind);
    }
}
