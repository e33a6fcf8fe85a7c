package dev.peregrine.server.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Where a running server's time goes over a window, from its own meters: two snapshots of the
 * request, tokenization, queue and forward-pass timers and the batch summaries, and their
 * difference per model. What {@code GET /debug/profile?seconds=N} answers. Pure: the caller takes
 * the snapshots and waits between them.
 */
public final class LiveProfile {

    private LiveProfile() {
    }

    /** Count and total of every timer and summary the profile reads, keyed "meter|model". */
    public record Snapshot(Map<String, double[]> totals) {
        public Snapshot {
            totals = Map.copyOf(totals);
        }
    }

    /**
     * One model's share of the window.
     *
     * @param requests             requests answered (any route, any status)
     * @param requestMsMean        their mean wall time
     * @param tokenizationMsMean   mean tokenization time per request
     * @param queueMsMean          mean wait from submission to the first forward pass, per request
     * @param forwardPasses        ONNX Runtime runs
     * @param forwardPassMsMean    mean time of one
     * @param textsPerPass         mean texts per forward pass
     * @param paddedTokensPerPass  mean padded tokens (texts x longest) per forward pass
     * @param inferenceMsPerSecond forward-pass time per second of the window (above 1000 when
     *                             instances run in parallel)
     */
    public record ModelProfile(
            long requests,
            @JsonProperty("request_ms_mean") double requestMsMean,
            @JsonProperty("tokenization_ms_mean") double tokenizationMsMean,
            @JsonProperty("queue_ms_mean") double queueMsMean,
            @JsonProperty("forward_passes") long forwardPasses,
            @JsonProperty("forward_pass_ms_mean") double forwardPassMsMean,
            @JsonProperty("texts_per_pass") double textsPerPass,
            @JsonProperty("padded_tokens_per_pass") double paddedTokensPerPass,
            @JsonProperty("inference_ms_per_second") double inferenceMsPerSecond) {
    }

    /** The window's profile: its length and one entry per model that did anything. */
    public record Report(double seconds, Map<String, ModelProfile> models) {
    }

    private static final String[] TIMERS = {"peregrine.request.duration", "peregrine.tokenization.duration",
        "peregrine.queue.duration", "peregrine.inference.duration"};
    private static final String[] SUMMARIES = {"peregrine.batch.size", "peregrine.batch.tokens"};

    public static Snapshot take(MeterRegistry registry) {
        Map<String, double[]> totals = new TreeMap<>();
        for (String name : TIMERS) {
            for (Timer t : registry.find(name).timers()) {
                double[] v = totals.computeIfAbsent(name + "|" + model(t.getId().getTag("model")), k -> new double[2]);
                v[0] += t.count();
                v[1] += t.totalTime(TimeUnit.MILLISECONDS);
            }
        }
        for (String name : SUMMARIES) {
            for (DistributionSummary s : registry.find(name).summaries()) {
                double[] v = totals.computeIfAbsent(name + "|" + model(s.getId().getTag("model")), k -> new double[2]);
                v[0] += s.count();
                v[1] += s.totalAmount();
            }
        }
        return new Snapshot(totals);
    }

    private static String model(String tag) {
        return tag == null || tag.isEmpty() ? "(none)" : tag;
    }

    /** What happened between {@code before} and {@code after}, {@code seconds} apart. */
    public static Report between(Snapshot before, Snapshot after, double seconds) {
        Map<String, ModelProfile> models = new LinkedHashMap<>();
        java.util.Set<String> names = new java.util.TreeSet<>();
        after.totals().keySet().forEach(k -> names.add(k.substring(k.indexOf('|') + 1)));
        for (String model : names) {
            double[] req = delta(before, after, "peregrine.request.duration", model);
            double[] tok = delta(before, after, "peregrine.tokenization.duration", model);
            double[] queue = delta(before, after, "peregrine.queue.duration", model);
            double[] inf = delta(before, after, "peregrine.inference.duration", model);
            double[] size = delta(before, after, "peregrine.batch.size", model);
            double[] tokens = delta(before, after, "peregrine.batch.tokens", model);
            if (req[0] == 0 && inf[0] == 0) {
                continue;
            }
            models.put(model, new ModelProfile((long) req[0], mean(req), mean(tok), mean(queue), (long) inf[0],
                    mean(inf), mean(size), mean(tokens), seconds > 0 ? inf[1] / seconds : 0));
        }
        return new Report(seconds, models);
    }

    private static double[] delta(Snapshot before, Snapshot after, String meter, String model) {
        double[] a = after.totals().getOrDefault(meter + "|" + model, new double[2]);
        double[] b = before.totals().getOrDefault(meter + "|" + model, new double[2]);
        return new double[] {a[0] - b[0], a[1] - b[1]};
    }

    private static double mean(double[] countAndTotal) {
        return countAndTotal[0] == 0 ? 0 : countAndTotal[1] / countAndTotal[0];
    }
}
