package dev.peregrine.monitor;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.TextResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one model's traffic for drift, in three levels: inputs (token lengths, truncation,
 * unknown tokens), predictions (label mix, or position in embedding space) and confidence (top-1
 * probability and entropy of a classifier). Each level is judged over a short sliding window
 * (default the last 1,000 predictions) against a {@link DriftReference}, with a long window (default
 * 10,000) reported beside it.
 *
 * <h2>Threads</h2>
 * {@link #observe} never blocks and never fails a request: it puts the prediction on a bounded
 * queue, and counts (drops) what does not fit. The monitor's single owner thread drains the queue,
 * waking on its own every few milliseconds rather than being woken per prediction: a wake-up per
 * prediction (a futex call and a context switch) cost more than the statistics themselves.
 * Only that thread touches the windows, the reference builder and the prediction log. It publishes
 * an immutable {@link DriftReport} each time the short window slides a block; {@link #report()}
 * reads the latest. Tests inject a direct executor to make all of this synchronous.
 *
 * <h2>Status changes</h2>
 * Each change of a level's status is told once to the status listener (by default, one log line
 * naming the statistic that moved).
 */
public final class DriftMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DriftMonitor.class);

    /** A change of one level's status. */
    public record StatusChange(String model, DriftLevel level, DriftStatus from, DriftStatus to, String reason) {
    }

    private final String model;
    private final Task task;
    private final List<String> labels;
    private final DriftThresholds thresholds;
    private final int shortSize;
    private final int longSize;
    /** Tasks run here when a test injects an executor; otherwise null and {@link #inbox} is used. */
    private final Executor executor;
    private final BlockingQueue<Pending> inbox;
    private final Thread owner;
    private volatile boolean closing;
    private final Clock clock;
    private final Consumer<StatusChange> listener;
    private final PredictionLog log;
    private final AtomicLong observed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    // Owner-thread state.
    private DriftReference reference;
    private String referenceSource;
    private final ReferenceBuilder builder;
    private final int warmup;
    private SlidingWindow shortWindow;
    private SlidingWindow longWindow;
    private final Map<DriftLevel, DriftStatus> lastStatus = new EnumMap<>(DriftLevel.class);

    private volatile DriftReport latest;
    private final Map<String, Double> gaugeValues = new ConcurrentHashMap<>();
    private final Set<String> registeredGauges = ConcurrentHashMap.newKeySet();
    private final MeterRegistry registry;
    private final Counter droppedCounter;

    private DriftMonitor(Builder b) {
        this.model = b.model;
        this.task = b.task;
        this.labels = b.labels;
        this.thresholds = b.thresholds;
        this.shortSize = b.shortWindow;
        this.longSize = b.longWindow;
        this.clock = b.clock;
        this.listener = b.listener != null ? b.listener : DriftMonitor::logChange;
        this.log = b.log;
        this.registry = b.registry;
        this.executor = b.executor;
        this.inbox = b.executor == null ? new ArrayBlockingQueue<>(b.queueCapacity) : null;
        this.warmup = b.warmup;
        this.builder = b.reference == null ? new ReferenceBuilder(model, task, labels) : null;
        if (b.reference != null) {
            setReference(b.reference, "file " + b.referenceSource);
        } else {
            referenceSource = "collecting (first " + warmup + " predictions)";
        }
        this.droppedCounter = registry == null ? null : Counter.builder("peregrine_drift_dropped")
                .description("Predictions the drift monitor skipped because it fell behind")
                .tag("model", model).register(registry);
        if (registry != null) {
            Gauge.builder("peregrine_drift_observed", observed, AtomicLong::get)
                    .description("Predictions seen by the drift monitor").tag("model", model).register(registry);
        }
        this.latest = buildReport();
        publishGauges(latest);
        if (inbox != null) {
            owner = new Thread(this::drain, "drift-" + model);
            owner.setDaemon(true);
            owner.start();
        } else {
            owner = null;
        }
    }

    /** A prediction waiting for the owner thread. */
    private record Pending(Observation observation, String text) {
    }

    /** How long the owner thread sleeps when the queue is empty. */
    private static final long DRAIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private void drain() {
        while (true) {
            Pending p = inbox.poll();
            if (p != null) {
                process(p.observation(), p.text());
            } else if (closing) {
                return;
            } else {
                LockSupport.parkNanos(DRAIN_INTERVAL_NANOS);
            }
        }
    }

    public static Builder builder(String model, Task task, List<String> labels) {
        return new Builder(model, task, labels);
    }

    /**
     * Hands one answered text to the monitor, read as this monitor's task reads it (probabilities of
     * a classifier, an embedder's vector), with its text for the prediction log. Never blocks.
     */
    public void observe(TextResult result, String text) {
        observe(Observation.of(task, result), text);
    }

    /** Hands one prediction to the monitor; never blocks, never throws for a full queue. */
    public void observe(Observation observation) {
        observe(observation, null);
    }

    /**
     * Hands one prediction to the monitor, with its text for the prediction log (hashed unless the
     * log was told to keep texts).
     */
    public void observe(Observation observation, String text) {
        Objects.requireNonNull(observation, "observation");
        if (inbox != null) {
            if (closing || !inbox.offer(new Pending(observation, text))) {
                drop();
            }
            return;
        }
        try {
            executor.execute(() -> process(observation, text));
        } catch (RejectedExecutionException e) {
            drop();
        }
    }

    private void drop() {
        dropped.incrementAndGet();
        if (droppedCounter != null) {
            droppedCounter.increment();
        }
    }

    /** Predictions skipped so far because the monitor's queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /**
     * The latest report: statuses and statistics as of the last time the short window slid a block
     * (or, while the reference is collected, a tenth of the warm-up passed); the observed and dropped
     * counts are live.
     */
    public DriftReport report() {
        DriftReport r = latest;
        return new DriftReport(r.model(), r.task(), r.reference(), observed.get(), dropped.get(), r.levels(), r.at());
    }

    /** The reference, once there is one. */
    public Optional<DriftReference> reference() {
        return Optional.ofNullable(referenceSnapshot);
    }

    private volatile DriftReference referenceSnapshot;

    // ---------------------------------------------------------------------------------------------
    // Owner thread

    private void process(Observation o, String text) {
        observed.incrementAndGet();
        try {
            if (reference == null) {
                builder.add(o);
                if (log != null) {
                    log.write(model, text, o, Double.NaN, label(o));
                }
                if (builder.size() >= warmup) {
                    setReference(builder.build(), "first " + warmup + " predictions");
                    publish();
                } else if (builder.size() % Math.max(1, warmup / 10) == 0) {
                    latest = buildReport();
                }
                return;
            }
            boolean slid = shortWindow.add(o, reference);
            longWindow.add(o, reference);
            if (log != null) {
                log.write(model, text, o, similarity(o), label(o));
            }
            if (slid) {
                publish();
            }
        } catch (RuntimeException e) {
            // A malformed observation must not stop the monitor; it is a bug in the caller.
            LOG.warn("drift monitor for {} skipped a prediction: {}", model, e.getMessage());
        }
    }

    private void setReference(DriftReference ref, String source) {
        if (ref.task() != task) {
            throw new IllegalArgumentException("the reference is for a " + ref.task().id() + " model, not " + task.id());
        }
        if (task == Task.CLASSIFICATION && !ref.labels().equals(labels)) {
            throw new IllegalArgumentException("the reference's labels " + ref.labels() + " differ from the model's " + labels);
        }
        this.reference = ref;
        this.referenceSnapshot = ref;
        this.referenceSource = source;
        this.shortWindow = new SlidingWindow(shortSize, ref);
        this.longWindow = new SlidingWindow(longSize, ref);
    }

    private void publish() {
        DriftReport report = buildReport();
        for (LevelReport level : report.levels()) {
            DriftStatus before = lastStatus.getOrDefault(level.level(), DriftStatus.COLLECTING);
            if (before != level.status()) {
                lastStatus.put(level.level(), level.status());
                if (level.status().gauge() >= 0 || before.gauge() >= 0) {
                    listener.accept(new StatusChange(model, level.level(), before, level.status(), level.reason()));
                }
            }
        }
        latest = report;
        publishGauges(report);
        if (log != null) {
            log.flush();
        }
    }

    private String label(Observation o) {
        return o.probabilities() == null ? null : labels.get(Stats.argmax(o.probabilities()));
    }

    private double similarity(Observation o) {
        if (o.embedding() == null || reference == null) {
            return Double.NaN;
        }
        float[] v = o.embedding();
        double norm = Math.sqrt(Stats.dot(v, v));
        return norm == 0 ? 0 : Stats.dot(v, reference.centroid()) / norm;
    }

    // ---------------------------------------------------------------------------------------------
    // Judging

    private DriftReport buildReport() {
        List<LevelReport> levels = new ArrayList<>();
        if (reference == null) {
            for (DriftLevel level : DriftLevel.values()) {
                boolean applies = !(level == DriftLevel.CONFIDENCE && task == Task.EMBEDDING);
                levels.add(new LevelReport(level, applies ? DriftStatus.COLLECTING : DriftStatus.NOT_APPLICABLE,
                        applies ? "building the reference: " + (builder == null ? 0 : builder.size()) + " of " + warmup
                                + " predictions" : "embedders have no class probabilities",
                        Map.of(), Map.of(), 0, shortSize));
            }
            return new DriftReport(model, task, referenceSource, observed.get(), dropped.get(), levels, clock.instant());
        }
        Accumulator s = shortWindow.total(reference);
        Accumulator l = longWindow.total(reference);
        boolean enough = s.count >= Math.max(SlidingWindow.BLOCKS, shortSize / 5);
        levels.add(inputs(s, l, enough));
        levels.add(predictions(s, l, enough));
        levels.add(confidence(s, l, enough));
        return new DriftReport(model, task, referenceSource, observed.get(), dropped.get(), levels, clock.instant());
    }

    private LevelReport inputs(Accumulator s, Accumulator l, boolean enough) {
        Map<String, Double> stats = new LinkedHashMap<>();
        Map<String, Double> limits = new LinkedHashMap<>();
        List<Judged> judged = new ArrayList<>();
        for (Accumulator a : List.of(s, l)) {
            String p = a == s ? "" : "long_";
            stats.put(p + "length_psi", Stats.psi(a.lengthBins, reference.lengthProportions()));
            stats.put(p + "mean_tokens", a.count == 0 ? 0 : (double) a.tokens / a.count);
            stats.put(p + "truncation_rate", a.count == 0 ? 0 : (double) a.truncated / a.count);
            stats.put(p + "unknown_rate", a.tokens == 0 ? 0 : (double) a.unknown / a.tokens);
        }
        stats.put("reference_mean_tokens", reference.meanTokens());
        stats.put("reference_truncation_rate", reference.truncationRate());
        stats.put("reference_unknown_rate", reference.unknownRate());
        judged.add(judge("length PSI", stats.get("length_psi"), thresholds.lengthPsiWarn(), thresholds.lengthPsiAlert(), limits, "length_psi"));
        judged.add(judge("truncation rate increase", stats.get("truncation_rate") - reference.truncationRate(),
                thresholds.truncationWarn(), thresholds.truncationAlert(), limits, "truncation_increase"));
        judged.add(judge("unknown-token rate increase", stats.get("unknown_rate") - reference.unknownRate(),
                thresholds.unknownWarn(), thresholds.unknownAlert(), limits, "unknown_increase"));
        return level(DriftLevel.INPUTS, judged, stats, limits, s, enough);
    }

    private LevelReport predictions(Accumulator s, Accumulator l, boolean enough) {
        Map<String, Double> stats = new LinkedHashMap<>();
        Map<String, Double> limits = new LinkedHashMap<>();
        List<Judged> judged = new ArrayList<>();
        if (task == Task.CLASSIFICATION) {
            for (Accumulator a : List.of(s, l)) {
                String p = a == s ? "" : "long_";
                stats.put(p + "label_psi", Stats.psi(a.labelCounts, reference.labelProportions()));
                stats.put(p + "label_chi2_p", Stats.chiSquarePValue(a.labelCounts, reference.labelProportions()));
                for (int i = 0; i < labels.size(); i++) {
                    stats.put(p + "share_" + labels.get(i), a.count == 0 ? 0 : (double) a.labelCounts[i] / a.count);
                }
            }
            double p = stats.get("label_chi2_p");
            boolean significant = p < thresholds.labelPValue();
            limits.put("label_chi2_p_max", thresholds.labelPValue());
            Judged byPsi = judge("label PSI", stats.get("label_psi"), thresholds.labelPsiWarn(), thresholds.labelPsiAlert(),
                    limits, "label_psi");
            judged.add(significant ? byPsi : new Judged(DriftStatus.OK, ""));
        } else {
            // Embedding spaces differ in how tightly they pack texts (bge's mean cosine to its centroid
            // is twice MiniLM's), so both statistics are judged relative to the reference's own spread.
            double spread = Math.max(1e-6, 1 - reference.meanSimilarity());
            double sd = Math.max(1e-6, reference.stdSimilarity());
            for (Accumulator a : List.of(s, l)) {
                String p = a == s ? "" : "long_";
                double shift = a.count == 0 ? 0 : 1 - cosine(a.embeddingSum, reference.centroid());
                double similarity = a.count == 0 ? reference.meanSimilarity() : a.similaritySum / a.count;
                stats.put(p + "centroid_shift", shift);
                stats.put(p + "centroid_shift_relative", shift / spread);
                stats.put(p + "mean_similarity", similarity);
                stats.put(p + "similarity_drop_sd", (reference.meanSimilarity() - similarity) / sd);
            }
            stats.put("reference_mean_similarity", reference.meanSimilarity());
            stats.put("reference_std_similarity", reference.stdSimilarity());
            judged.add(judge("centroid shift (relative to the reference spread)", stats.get("centroid_shift_relative"),
                    thresholds.centroidShiftWarn(), thresholds.centroidShiftAlert(), limits, "centroid_shift_relative"));
            judged.add(judge("mean similarity drop (reference SDs)", stats.get("similarity_drop_sd"),
                    thresholds.similarityDropWarn(), thresholds.similarityDropAlert(), limits, "similarity_drop_sd"));
        }
        return level(DriftLevel.PREDICTIONS, judged, stats, limits, s, enough);
    }

    private LevelReport confidence(Accumulator s, Accumulator l, boolean enough) {
        if (task == Task.EMBEDDING) {
            return new LevelReport(DriftLevel.CONFIDENCE, DriftStatus.NOT_APPLICABLE,
                    "embedders have no class probabilities", Map.of(), Map.of(), s.count, shortSize);
        }
        Map<String, Double> stats = new LinkedHashMap<>();
        Map<String, Double> limits = new LinkedHashMap<>();
        for (Accumulator a : List.of(s, l)) {
            String p = a == s ? "" : "long_";
            stats.put(p + "mean_top1", a.count == 0 ? 0 : a.top1Sum / a.count);
            stats.put(p + "mean_entropy", a.count == 0 ? 0 : a.entropySum / a.count);
        }
        stats.put("reference_mean_top1", reference.meanTop1());
        stats.put("reference_mean_entropy", reference.meanEntropy());
        List<Judged> judged = List.of(
                judge("mean top-1 probability drop", reference.meanTop1() - stats.get("mean_top1"),
                        thresholds.confidenceDropWarn(), thresholds.confidenceDropAlert(), limits, "top1_drop"),
                judge("mean entropy rise", stats.get("mean_entropy") - reference.meanEntropy(),
                        thresholds.entropyRiseWarn(), thresholds.entropyRiseAlert(), limits, "entropy_rise"));
        return level(DriftLevel.CONFIDENCE, judged, stats, limits, s, enough);
    }

    private record Judged(DriftStatus status, String reason) {
    }

    private static Judged judge(String what, double value, double warn, double alert, Map<String, Double> limits,
                                String key) {
        limits.put(key + "_warn", warn);
        limits.put(key + "_alert", alert);
        DriftStatus status = DriftStatus.of(value, warn, alert);
        String reason = status == DriftStatus.OK ? ""
                : String.format(Locale.ROOT, "%s %.3f >= %.3f (%s)", what, value,
                        status == DriftStatus.ALERT ? alert : warn, status.id());
        return new Judged(status, reason);
    }

    private LevelReport level(DriftLevel level, List<Judged> judged, Map<String, Double> stats,
                              Map<String, Double> limits, Accumulator s, boolean enough) {
        if (!enough) {
            return new LevelReport(level, DriftStatus.COLLECTING, "the window has " + s.count
                    + " predictions; judging starts at " + Math.max(SlidingWindow.BLOCKS, shortSize / 5), stats, limits,
                    s.count, shortSize);
        }
        Judged worst = new Judged(DriftStatus.OK, "");
        for (Judged j : judged) {
            if (j.status().gauge() > worst.status().gauge()) {
                worst = j;
            }
        }
        return new LevelReport(level, worst.status(), worst.reason(), stats, limits, s.count, shortSize);
    }

    private static double cosine(double[] sum, float[] unit) {
        double dot = 0;
        double norm = 0;
        for (int i = 0; i < sum.length; i++) {
            dot += sum[i] * unit[i];
            norm += sum[i] * sum[i];
        }
        return norm == 0 ? 0 : dot / Math.sqrt(norm);
    }

    // ---------------------------------------------------------------------------------------------
    // Metrics and logging

    private void publishGauges(DriftReport report) {
        if (registry == null) {
            return;
        }
        for (LevelReport level : report.levels()) {
            gauge("peregrine_drift_status", "Drift status per level: 0 ok, 1 warn, 2 alert, -1 collecting, -2 n/a",
                    level.level(), null, level.status().gauge());
            for (Map.Entry<String, Double> e : level.statistics().entrySet()) {
                if (!e.getKey().startsWith("long_") && !e.getKey().startsWith("reference_")) {
                    gauge("peregrine_drift_statistic", "Drift statistics over the short window",
                            level.level(), e.getKey(), e.getValue());
                }
            }
        }
    }

    private void gauge(String name, String help, DriftLevel level, String statistic, double value) {
        String key = name + "|" + level.id() + "|" + statistic;
        gaugeValues.put(key, value);
        if (registeredGauges.add(key)) {
            Gauge.Builder<Map<String, Double>> b = Gauge.builder(name, gaugeValues, m -> m.getOrDefault(key, Double.NaN))
                    .description(help).tag("model", model).tag("level", level.id());
            if (statistic != null) {
                b.tag("statistic", statistic);
            }
            b.register(registry);
        }
    }

    private static void logChange(StatusChange c) {
        String message = String.format(Locale.ROOT, "drift: model %s level %d (%s) %s -> %s%s", c.model(),
                c.level().number(), c.level().id(), c.from().id(), c.to().id(),
                c.reason().isEmpty() ? "" : ": " + c.reason());
        if (c.to() == DriftStatus.ALERT) {
            LOG.warn(message);
        } else {
            LOG.info(message);
        }
    }

    /** Stops the owner thread after it has processed what was queued, and closes the prediction log. */
    @Override
    public void close() {
        closing = true;
        if (owner != null) {
            LockSupport.unpark(owner);
            try {
                owner.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // A prediction offered while the owner was finishing is counted, not silently left behind.
            while (!owner.isAlive() && inbox.poll() != null) {
                drop();
            }
        }
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                LOG.warn("cannot close the prediction log: {}", e.getMessage());
            }
        }
    }

    /** Configures a {@link DriftMonitor}. Not thread-safe. */
    public static final class Builder {
        private final String model;
        private final Task task;
        private final List<String> labels;
        private DriftReference reference;
        private String referenceSource = "";
        private int warmup = 1000;
        private DriftThresholds thresholds = DriftThresholds.defaults();
        private int shortWindow = 1000;
        private int longWindow = 10_000;
        private Executor executor;
        private int queueCapacity = 10_000;
        private Clock clock = Clock.systemUTC();
        private Consumer<StatusChange> listener;
        private PredictionLog log;
        private MeterRegistry registry;

        private Builder(String model, Task task, List<String> labels) {
            this.model = Objects.requireNonNull(model, "model");
            this.task = Objects.requireNonNull(task, "task");
            this.labels = labels == null ? List.of() : List.copyOf(labels);
        }

        /** A reference made beforehand; {@code source} says where it came from (a file name). */
        public Builder reference(DriftReference value, String source) {
            this.reference = Objects.requireNonNull(value, "reference");
            this.referenceSource = source;
            return this;
        }

        /**
         * Without a reference, the first {@code predictions} served become it (default 1,000; at
         * least {@link DriftReference#MIN_SAMPLES}).
         */
        public Builder warmup(int predictions) {
            if (predictions < DriftReference.MIN_SAMPLES) {
                throw new IllegalArgumentException("drift warmup must be at least " + DriftReference.MIN_SAMPLES
                        + " predictions (the smallest meaningful reference), was " + predictions);
            }
            this.warmup = predictions;
            return this;
        }

        public Builder thresholds(DriftThresholds value) {
            this.thresholds = Objects.requireNonNull(value, "thresholds");
            return this;
        }

        /** Short (judged) and long (reported) window sizes in predictions; defaults 1,000 and 10,000. */
        public Builder windows(int shortSize, int longSize) {
            if (shortSize < SlidingWindow.BLOCKS || longSize < shortSize) {
                throw new IllegalArgumentException("need " + SlidingWindow.BLOCKS
                        + " <= short window <= long window, got " + shortSize + " and " + longSize);
            }
            this.shortWindow = shortSize;
            this.longWindow = longSize;
            return this;
        }

        /** The owner executor; must run tasks one at a time in order. Default: a thread with a bounded queue. */
        public Builder executor(Executor value) {
            this.executor = value;
            return this;
        }

        /** Predictions that may wait for the owner thread before new ones are dropped (default 10,000). */
        public Builder queueCapacity(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("queue capacity must be positive");
            }
            this.queueCapacity = value;
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Told of each status change; default: one log line. */
        public Builder onStatusChange(Consumer<StatusChange> value) {
            this.listener = value;
            return this;
        }

        public Builder predictionLog(PredictionLog value) {
            this.log = value;
            return this;
        }

        public Builder meterRegistry(MeterRegistry value) {
            this.registry = value;
            return this;
        }

        public DriftMonitor build() {
            if (task == Task.CLASSIFICATION && labels.isEmpty()) {
                throw new IllegalStateException("a classifier's monitor needs its labels");
            }
            return new DriftMonitor(this);
        }
    }
}
