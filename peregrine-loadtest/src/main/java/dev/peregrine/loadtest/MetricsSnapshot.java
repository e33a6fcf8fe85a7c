package dev.peregrine.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The counters a Peregrine server exports on {@code /metrics} (Prometheus text format), read before
 * and after a load test so its report can say what the server did: forward passes run, and how many
 * texts its prediction cache answered.
 *
 * @param series every sample, keyed by its name with labels as exported ({@code name{a="b"}})
 */
public record MetricsSnapshot(Map<String, Double> series) {

    /** Forward passes (one Timer count per pass and model). */
    public static final String FORWARD_PASSES = "peregrine_inference_duration_seconds_count";
    public static final String CACHE_HITS = "peregrine_cache_hits_total";
    public static final String CACHE_MISSES = "peregrine_cache_misses_total";

    public MetricsSnapshot {
        series = Map.copyOf(series);
    }

    /**
     * Reads {@code /metrics} of the server behind {@code endpoint}; empty when it has none (not a
     * Peregrine server, or metrics behind another path).
     */
    public static Optional<MetricsSnapshot> scrape(URI endpoint, String apiKey) {
        URI metrics = endpoint.resolve("/metrics");
        HttpRequest.Builder request = HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET();
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(parse(response.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Parses Prometheus' text exposition format (comments skipped, timestamps ignored). */
    public static MetricsSnapshot parse(String text) {
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int end = l.indexOf('}');
            int space = l.indexOf(' ', end < 0 ? 0 : end);
            if (space < 0) {
                continue;
            }
            String name = l.substring(0, space);
            String[] rest = l.substring(space + 1).strip().split("\\s+");
            try {
                series.put(name, Double.parseDouble(rest[0]));
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return new MetricsSnapshot(series);
    }

    /** The metric names present (without labels). */
    public java.util.Set<String> names() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        series.keySet().forEach(k -> names.add(k.contains("{") ? k.substring(0, k.indexOf('{')) : k));
        return names;
    }

    /** The sum of a metric's samples whose labels contain {@code labelFilter} (empty for all). */
    public double sum(String metric, String labelFilter) {
        double total = 0;
        for (Map.Entry<String, Double> e : series.entrySet()) {
            String key = e.getKey();
            String name = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            if (name.equals(metric) && (labelFilter.isEmpty() || key.contains(labelFilter))) {
                total += e.getValue();
            }
        }
        return total;
    }

    /**
     * What the server did between two snapshots: forward passes, texts looked up in its cache, and
     * the share of them the cache answered (memory or Redis).
     */
    public static Map<String, Double> difference(MetricsSnapshot before, MetricsSnapshot after) {
        Map<String, Double> facts = new LinkedHashMap<>();
        facts.put("forward passes", after.sum(FORWARD_PASSES, "") - before.sum(FORWARD_PASSES, ""));
        double memoryHits = after.sum(CACHE_HITS, "level=\"memory\"") - before.sum(CACHE_HITS, "level=\"memory\"");
        double memoryMisses = after.sum(CACHE_MISSES, "level=\"memory\"") - before.sum(CACHE_MISSES, "level=\"memory\"");
        double redisHits = after.sum(CACHE_HITS, "level=\"redis\"") - before.sum(CACHE_HITS, "level=\"redis\"");
        double lookedUp = memoryHits + memoryMisses;
        facts.put("cache lookups", lookedUp);
        facts.put("cache hit ratio", lookedUp == 0 ? 0 : (memoryHits + redisHits) / lookedUp);
        return facts;
    }
}
