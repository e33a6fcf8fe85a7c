package dev.peregrine.benchmarks;

import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.loadtest.LoadGenerator;
import dev.peregrine.loadtest.LoadTestConfig;
import dev.peregrine.loadtest.LoadTestReport;
import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.DriftConfig;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The prediction cache and the drift monitor, measured on the server with the default model:
 * <ol>
 *   <li>throughput on a workload where 80% of requests repeat a text seen before, cache off against
 *       cache on, and each with drift monitoring on and off: four servers, measured in alternating
 *       rounds so that a noisy machine hits all alike;</li>
 *   <li>the server-side latency of a request answered from the cache (the {@code x-total-time}
 *       header: from the event loop receiving the request to the response being written).</li>
 * </ol>
 *
 * <pre>
 * peregrine-benchmarks/run CacheBenchmark [seconds-per-run [rounds]]     (defaults: 8 s, 5 rounds)
 * </pre>
 */
public final class CacheBenchmark {

    private static final int CLIENTS = 32;
    private static final int HOT_TEXTS = 200;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private record Variant(String name, CacheConfig cache, DriftConfig drift) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<String> workload = workload(new Random(42), 40_000);
        System.out.printf(Locale.ROOT, "%s, %d cores; workload: 80%% of requests repeat one of %d texts, 20%% are new; "
                + "1 text per request, %d clients, %d s per run, %d rounds%n%n", Machine.cpuModel(),
                Runtime.getRuntime().availableProcessors(), HOT_TEXTS, CLIENTS, seconds, rounds);

        DriftConfig driftOn = new DriftConfig(true, Map.of(), 200, DriftConfig.DEFAULT_WINDOW, DriftConfig.DEFAULT_LONG_WINDOW,
                null, 0.1, DriftConfig.DEFAULT_LOG_MAX_BYTES, DriftConfig.DEFAULT_LOG_KEEP, false);
        List<Variant> variants = List.of(
                new Variant("cache off, drift off", CacheConfig.off(), DriftConfig.disabled()),
                new Variant("cache on,  drift off", CacheConfig.defaults(), DriftConfig.disabled()),
                new Variant("cache off, drift on ", CacheConfig.off(), driftOn),
                new Variant("cache on,  drift on ", CacheConfig.defaults(), driftOn));

        ModelResolver resolver = ModelResolver.standard();
        Map<String, double[]> rates = new LinkedHashMap<>();
        Map<String, double[]> p50s = new LinkedHashMap<>();
        List<PeregrineServer> servers = new ArrayList<>();
        try {
            for (Variant v : variants) {
                servers.add(PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                        .model(null, EmbeddedModels.DEFAULT_MODEL)
                        .longText(dev.peregrine.core.engine.LongTextMode.TRUNCATE).cache(v.cache()).drift(v.drift()).build(), resolver));
                rates.put(v.name(), new double[rounds]);
                p50s.put(v.name(), new double[rounds]);
            }
            // An unmeasured round first: the JIT compiles the request path and the caches hold the hot
            // texts, as on a server that has been up for a while.
            for (int k = 0; k < variants.size(); k++) {
                URI url = URI.create("http://127.0.0.1:" + servers.get(k).port() + "/embed");
                LoadTestReport warm = new LoadGenerator(new LoadTestConfig(url, CLIENTS, 0, Duration.ofSeconds(seconds),
                        Duration.ZERO, rotate(workload, 31_337 + k * 2_003), 1, null, null, CLIENTS,
                        Duration.ofSeconds(30))).run();
                System.err.printf(Locale.ROOT, "warm-up %s: %.1f req/s%n", variants.get(k).name(), warm.throughput());
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < variants.size(); i++) {
                    int k = (i + r) % variants.size();
                    Variant v = variants.get(k);
                    URI url = URI.create("http://127.0.0.1:" + servers.get(k).port() + "/embed");
                    // Each run starts at another place in the workload, so its new texts are new to the cache.
                    List<String> texts = rotate(workload, r * 9_973 + k * 2_003);
                    LoadTestReport report = new LoadGenerator(new LoadTestConfig(url, CLIENTS, 0, Duration.ofSeconds(seconds),
                            Duration.ofSeconds(2), texts, 1, null, null, CLIENTS, Duration.ofSeconds(30))).run();
                    rates.get(v.name())[r] = report.throughput();
                    p50s.get(v.name())[r] = report.percentileMillis(50);
                    System.err.printf(Locale.ROOT, "round %d %s: %.1f req/s, p50 %.2f ms, errors %s%n", r + 1, v.name(),
                            report.throughput(), report.percentileMillis(50), report.errors());
                }
            }

            double base = median(rates.get(variants.get(0).name()));
            double cacheOnly = median(rates.get(variants.get(1).name()));
            System.out.println("| server | requests/s (median) | vs cache off, drift off | client p50 ms |");
            System.out.println("|---|---:|---:|---:|");
            for (Variant v : variants) {
                double m = median(rates.get(v.name()));
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.2fx | %.2f |%n", v.name().replaceAll(" +$", ""), m, m / base,
                        median(p50s.get(v.name())));
            }
            double driftCostUncached = 1 - median(rates.get(variants.get(2).name())) / base;
            double driftCostCached = 1 - median(rates.get(variants.get(3).name())) / cacheOnly;
            System.out.printf(Locale.ROOT, "%ncache speed-up on this workload: %.2fx%n", cacheOnly / base);
            System.out.printf(Locale.ROOT, "drift monitoring cost: %.1f%% of throughput without the cache, %.1f%% with it%n",
                    100 * driftCostUncached, 100 * driftCostCached);

            // Server-side latency of cached requests: one client, warm cache, hot texts only.
            PeregrineServer cached = servers.get(1);
            double[] serverMillis = cachedLatency(cached.port(), hotTexts(), 3000);
            System.out.printf(Locale.ROOT, "%nrequest answered from the cache, server side (x-total-time over %d requests): "
                            + "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms%n", serverMillis.length,
                    percentile(serverMillis, 50), percentile(serverMillis, 90), percentile(serverMillis, 99));
            Path out = Path.of("peregrine-benchmarks", "target", "cache-benchmark.json");
            Files.createDirectories(out.getParent());
            Files.writeString(out, String.format(Locale.ROOT, "{\"cpu\":\"%s\",\"cores\":%d,\"seconds\":%d,\"rounds\":%d,"
                            + "\"rates\":{%s},\"cache_speedup\":%.3f,\"drift_cost_uncached\":%.4f,\"drift_cost_cached\":%.4f,"
                            + "\"cached_server_p50_ms\":%.4f,\"cached_server_p99_ms\":%.4f}%n", Machine.cpuModel(),
                    Runtime.getRuntime().availableProcessors(), seconds, rounds, json(rates), cacheOnly / base,
                    driftCostUncached, driftCostCached, percentile(serverMillis, 50), percentile(serverMillis, 99)));
        } finally {
            servers.forEach(PeregrineServer::stop);
        }
    }

    private static List<String> baseTexts() {
        return Datasets.validation().stream().map(TextRecord::text).filter(t -> t.length() < 400).toList();
    }

    /** The texts the repeated 80% of requests are drawn from. */
    static List<String> hotTexts() {
        return baseTexts().subList(0, HOT_TEXTS);
    }

    /** {@code size} texts: 80% drawn from the hot set, 20% unique, shuffled. */
    static List<String> workload(Random random, int size) {
        List<String> base = baseTexts();
        List<String> hot = hotTexts();
        List<String> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            if (random.nextInt(10) < 8) {
                out.add(hot.get(random.nextInt(hot.size())));
            } else {
                out.add(base.get(random.nextInt(base.size())) + " (" + i + ")");
            }
        }
        Collections.shuffle(out, random);
        return out;
    }

    private static List<String> rotate(List<String> texts, int by) {
        List<String> out = new ArrayList<>(texts);
        Collections.rotate(out, by);
        return out;
    }

    private static double[] cachedLatency(int port, List<String> hot, int requests) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI url = URI.create("http://127.0.0.1:" + port + "/embed");
        for (String t : hot) {
            send(http, url, t);
        }
        double[] millis = new double[requests];
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> r = send(http, url, hot.get(i % hot.size()));
            millis[i] = Double.parseDouble(r.headers().firstValue("x-total-time").orElseThrow());
            if (Double.parseDouble(r.headers().firstValue("x-inference-time").orElse("0")) != 0) {
                throw new IllegalStateException("a hot text was not answered from the cache");
            }
        }
        return millis;
    }

    private static HttpResponse<String> send(HttpClient http, URI url, String text) throws Exception {
        String body = "{\"inputs\":" + JSON.writeValueAsString(text) + "}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
        }
        return r;
    }

    private static double median(double[] v) {
        return percentile(v, 50);
    }

    private static double percentile(double[] values, double p) {
        double[] s = values.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    private static String json(Map<String, double[]> rates) {
        StringBuilder sb = new StringBuilder();
        rates.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append('"').append(k.trim()).append("\":")
                .append(String.format(Locale.ROOT, "%.1f", median(v))));
        return sb.toString();
    }
}
