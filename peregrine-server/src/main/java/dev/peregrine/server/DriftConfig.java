package dev.peregrine.server;

import dev.peregrine.monitor.DriftReference;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The drift monitor's settings, part of {@link ServeConfig}.
 *
 * @param enabled           watch every served model
 * @param references        reference files by model name ({@code ""}: the first served model)
 * @param warmup            without a reference file, the first this many predictions become the reference
 * @param window            predictions in the judged (short) window
 * @param longWindow        predictions in the reported long window
 * @param predictionLog     folder for the prediction log (one JSONL file per model); null for none
 * @param logSampleRate     share of predictions written to the log
 * @param logMaxBytes       size at which a log file is rotated
 * @param logKeepFiles      rotated files kept
 * @param logText           write texts in clear instead of as SHA-256 hashes
 */
public record DriftConfig(boolean enabled, Map<String, Path> references, int warmup, int window, int longWindow,
                          Path predictionLog, double logSampleRate, long logMaxBytes, int logKeepFiles, boolean logText) {

    public static final int DEFAULT_WARMUP = 1000;
    public static final int DEFAULT_WINDOW = 1000;
    public static final int DEFAULT_LONG_WINDOW = 10_000;
    public static final String DEFAULT_LOG_SAMPLE = "0.1";
    public static final long DEFAULT_LOG_MAX_BYTES = 100L * 1024 * 1024;
    public static final int DEFAULT_LOG_KEEP = 5;

    public DriftConfig {
        references = Map.copyOf(references);
        if (warmup < DriftReference.MIN_SAMPLES) {
            throw new IllegalArgumentException("drift warmup must be at least " + DriftReference.MIN_SAMPLES
                    + " predictions (the smallest meaningful reference), was " + warmup);
        }
        if (window < 10 || longWindow < window) {
            throw new IllegalArgumentException("need 10 <= drift window <= drift long window, got " + window + " and " + longWindow);
        }
        if (!(logSampleRate >= 0 && logSampleRate <= 1)) {
            throw new IllegalArgumentException("prediction log sample rate must be in [0, 1], was " + logSampleRate);
        }
        if (logMaxBytes < 1024 || logKeepFiles < 0) {
            throw new IllegalArgumentException("prediction log rotation needs max bytes >= 1024 and keep >= 0");
        }
    }

    public static DriftConfig defaults() {
        return new DriftConfig(true, Map.of(), DEFAULT_WARMUP, DEFAULT_WINDOW, DEFAULT_LONG_WINDOW, null,
                Double.parseDouble(DEFAULT_LOG_SAMPLE), DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_KEEP, false);
    }

    public static DriftConfig disabled() {
        DriftConfig d = defaults();
        return new DriftConfig(false, Map.of(), d.warmup(), d.window(), d.longWindow(), null, d.logSampleRate(),
                d.logMaxBytes(), d.logKeepFiles(), false);
    }

    /** Parses {@code [NAME=]FILE} entries into the references map. */
    public static Map<String, Path> references(Iterable<String> specs) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String spec : specs) {
            Objects.requireNonNull(spec, "spec");
            int eq = spec.indexOf('=');
            String name = eq > 0 ? spec.substring(0, eq).trim() : "";
            String file = eq > 0 ? spec.substring(eq + 1).trim() : spec.trim();
            if (file.isEmpty()) {
                throw new IllegalArgumentException("--drift-reference needs a file: [NAME=]FILE");
            }
            if (out.put(name, Path.of(file)) != null) {
                throw new IllegalArgumentException("two drift references for " + (name.isEmpty() ? "the default model" : "'" + name + "'"));
            }
        }
        return out;
    }

    public String describe() {
        if (!enabled) {
            return "off";
        }
        return "on (" + (references.isEmpty() ? "reference: first " + warmup + " predictions" : "references: " + references)
                + ", window " + window + "/" + longWindow
                + (predictionLog == null ? "" : ", prediction log " + predictionLog + " sampled " + logSampleRate
                        + (logText ? " with texts" : " with hashed texts")) + ")";
    }
}
