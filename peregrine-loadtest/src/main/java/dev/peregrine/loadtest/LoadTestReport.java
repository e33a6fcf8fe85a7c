package dev.peregrine.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a load test measured. Latencies are of successful (2xx) requests, in milliseconds; in an
 * open-loop test they are measured from each request's intended send time.
 *
 * @param url             the endpoint
 * @param mode            {@code closed} or {@code open}
 * @param concurrency     clients (closed loop), else 0
 * @param targetRate      requests per second asked for (open loop), else 0
 * @param seconds         measured time
 * @param requests        requests answered in the measured time, any status
 * @param succeeded       of which 2xx
 * @param textsPerRequest texts per request
 * @param statusCounts    answers by status ("io" for transport failures)
 * @param latency         2xx latencies
 * @param overhead        2xx latencies minus the server's reported tokenization and inference time
 *                        ({@code x-tokenization-time} + {@code x-inference-time}), for the answers that
 *                        carried both; empty when the server does not report them
 * @param serverOverhead  the part of the overhead the server measured itself: its reported total time
 *                        ({@code x-total-time}, from the request's arrival to its answer) minus its
 *                        tokenization and inference, for the answers that carried all three; the rest
 *                        of the overhead is the network, the HTTP framing outside the server's clock
 *                        and the client
 */
public record LoadTestReport(String url, String mode, int concurrency, double targetRate, double seconds,
                             long requests, long succeeded, int textsPerRequest, Map<String, Long> statusCounts,
                             Histogram latency, Histogram overhead, Histogram serverOverhead) {

    public LoadTestReport {
        statusCounts = new TreeMap<>(statusCounts);
        if (overhead == null) {
            overhead = new Histogram(3);
        }
        if (serverOverhead == null) {
            serverOverhead = new Histogram(3);
        }
    }

    /** A report without the server's own share of the overhead. */
    public LoadTestReport(String url, String mode, int concurrency, double targetRate, double seconds, long requests,
                          long succeeded, int textsPerRequest, Map<String, Long> statusCounts, Histogram latency,
                          Histogram overhead) {
        this(url, mode, concurrency, targetRate, seconds, requests, succeeded, textsPerRequest, statusCounts, latency,
                overhead, null);
    }

    /** A report of a server that does not say how long its own work took. */
    public LoadTestReport(String url, String mode, int concurrency, double targetRate, double seconds, long requests,
                          long succeeded, int textsPerRequest, Map<String, Long> statusCounts, Histogram latency) {
        this(url, mode, concurrency, targetRate, seconds, requests, succeeded, textsPerRequest, statusCounts, latency,
                null, null);
    }

    /**
     * The overhead at a percentile (0-100) in milliseconds: what the request took beyond the server's
     * own tokenization and inference; NaN when the server did not report them.
     */
    public double overheadMillis(double percentile) {
        return overhead.getTotalCount() == 0 ? Double.NaN : overhead.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * The server's own share of the overhead at a percentile (0-100) in milliseconds: its reported total
     * time minus its tokenization and inference; NaN when it did not report all three.
     */
    public double serverOverheadMillis(double percentile) {
        return serverOverhead.getTotalCount() == 0 ? Double.NaN
                : serverOverhead.getValueAtPercentile(percentile) / 1000.0;
    }

    /** Successful requests per second. */
    public double throughput() {
        return seconds <= 0 ? 0 : succeeded / seconds;
    }

    /** Successful texts per second. */
    public double textsPerSecond() {
        return throughput() * textsPerRequest;
    }

    /** The latency at a percentile (0-100), in milliseconds. */
    public double percentileMillis(double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
    }

    public double maxMillis() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1000.0;
    }

    public double meanMillis() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMean() / 1000.0;
    }

    /** Requests that did not succeed, by status. */
    public Map<String, Long> errors() {
        Map<String, Long> errors = new TreeMap<>();
        statusCounts.forEach((status, count) -> {
            if (!status.startsWith("2")) {
                errors.put(status, count);
            }
        });
        return errors;
    }

    public String toJson() {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = json.createObjectNode();
        o.put("url", url);
        o.put("mode", mode);
        if (concurrency > 0) {
            o.put("concurrency", concurrency);
        } else {
            o.put("target_rate", targetRate);
        }
        o.put("seconds", round(seconds));
        o.put("requests", requests);
        o.put("succeeded", succeeded);
        o.put("texts_per_request", textsPerRequest);
        o.put("throughput_rps", round(throughput()));
        o.put("texts_per_second", round(textsPerSecond()));
        ObjectNode lat = o.putObject("latency_ms");
        lat.put("p50", round(percentileMillis(50)));
        lat.put("p90", round(percentileMillis(90)));
        lat.put("p99", round(percentileMillis(99)));
        lat.put("p99_9", round(percentileMillis(99.9)));
        lat.put("max", round(maxMillis()));
        lat.put("mean", round(meanMillis()));
        if (overhead.getTotalCount() > 0) {
            ObjectNode over = percentiles(o.putObject("overhead_ms"), this::overheadMillis, overhead.getTotalCount());
            if (serverOverhead.getTotalCount() > 0) {
                percentiles(over.putObject("in_server"), this::serverOverheadMillis, serverOverhead.getTotalCount());
            }
        }
        ObjectNode statuses = o.putObject("status_counts");
        statusCounts.forEach(statuses::put);
        ObjectNode errors = o.putObject("errors");
        errors().forEach(errors::put);
        return o.toPrettyString();
    }

    /** p50, p90 and p99 of one overhead histogram, with how many answers it counted. */
    private static ObjectNode percentiles(ObjectNode node, java.util.function.DoubleUnaryOperator millisAt, long answers) {
        node.put("p50", round(millisAt.applyAsDouble(50)));
        node.put("p90", round(millisAt.applyAsDouble(90)));
        node.put("p99", round(millisAt.applyAsDouble(99)));
        node.put("answers", answers);
        return node;
    }

    public String toTable() {
        StringBuilder b = new StringBuilder();
        row(b, "url", url);
        row(b, "mode", mode.equals("open") ? String.format(Locale.ROOT, "open loop, %.1f requests/s scheduled", targetRate)
                : "closed loop, " + concurrency + " clients");
        row(b, "measured", String.format(Locale.ROOT, "%.1f s, %d requests (%d ok), %d text(s) each", seconds, requests,
                succeeded, textsPerRequest));
        row(b, "throughput", String.format(Locale.ROOT, "%.1f requests/s, %.1f texts/s", throughput(), textsPerSecond()));
        row(b, "latency ms", String.format(Locale.ROOT, "p50 %.2f   p90 %.2f   p99 %.2f   p99.9 %.2f   max %.2f",
                percentileMillis(50), percentileMillis(90), percentileMillis(99), percentileMillis(99.9), maxMillis()));
        if (overhead.getTotalCount() > 0) {
            row(b, "overhead ms", String.format(Locale.ROOT, "p50 %.2f   p90 %.2f   p99 %.2f   (latency minus the "
                    + "server's reported tokenization and inference)", overheadMillis(50), overheadMillis(90),
                    overheadMillis(99)));
            if (serverOverhead.getTotalCount() > 0) {
                row(b, "", String.format(Locale.ROOT, "of which in the server p50 %.2f   p90 %.2f   p99 %.2f   (its "
                        + "x-total-time minus the same; the rest is the network, HTTP and the client)",
                        serverOverheadMillis(50), serverOverheadMillis(90), serverOverheadMillis(99)));
            }
        }
        row(b, "errors", errors().isEmpty() ? "none" : errors().toString());
        return b.toString();
    }

    private static void row(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "%-11s %s%n", key, value));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
