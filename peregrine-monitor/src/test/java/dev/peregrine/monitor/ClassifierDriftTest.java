package dev.peregrine.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.Task;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift of a classifier on synthetic streams whose shape the test controls exactly. */
class ClassifierDriftTest {

    private static final List<String> LABELS = List.of("account", "billing", "general", "technical");

    @TempDir
    Path dir;

    private final Random random = new Random(1);
    private final List<DriftMonitor.StatusChange> changes = new ArrayList<>();

    /** Normal traffic: labels evenly mixed, confident, 10-40 tokens. */
    private Observation normal() {
        int label = random.nextInt(4);
        return Observation.classified(10 + random.nextInt(31), false, 0, confident(label, 0.85 + random.nextDouble() * 0.14));
    }

    private static float[] confident(int label, double top) {
        float[] p = new float[4];
        for (int i = 0; i < 4; i++) {
            p[i] = (float) ((1 - top) / 3);
        }
        p[label] = (float) top;
        return p;
    }

    private DriftMonitor monitor(SimpleMeterRegistry registry) {
        DriftMonitor m = DriftMonitor.builder("tickets", Task.CLASSIFICATION, LABELS)
                .warmup(1000).windows(500, 2000).executor(Runnable::run)
                .onStatusChange(changes::add).meterRegistry(registry).build();
        for (int i = 0; i < 1000; i++) {
            m.observe(normal());
        }
        return m;
    }

    @Test
    void referenceFromFirstPredictions_thenNormalTrafficStaysOk() {
        DriftMonitor m = DriftMonitor.builder("tickets", Task.CLASSIFICATION, LABELS)
                .warmup(1000).windows(500, 2000).executor(Runnable::run).build();
        assertThat(m.report().overall()).isEqualTo(DriftStatus.COLLECTING);
        for (int i = 0; i < 999; i++) {
            m.observe(normal());
        }
        assertThat(m.reference()).isEmpty();
        m.observe(normal());
        assertThat(m.reference()).isPresent();
        assertThat(java.util.Arrays.stream(m.reference().get().labelProportions()).boxed().toList())
                .allSatisfy(p -> assertThat(p).isBetween(0.2, 0.3));
        for (int i = 0; i < 2000; i++) {
            m.observe(normal());
        }
        DriftReport r = m.report();
        assertThat(r.levels()).extracting(LevelReport::status).containsOnly(DriftStatus.OK);
        assertThat(r.reference()).isEqualTo("first 1000 predictions");
        assertThat(r.observed()).isEqualTo(3000);
    }

    @Test
    void oneLabelStream_alertsThePredictionLevelOnly_thenRecovers() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DriftMonitor m = monitor(registry);
        for (int i = 0; i < 500; i++) {
            m.observe(normal());
        }
        assertThat(m.report().level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.OK);

        for (int i = 0; i < 500; i++) {
            m.observe(Observation.classified(10 + random.nextInt(31), false, 0, confident(1, 0.95)));
        }
        DriftReport drifted = m.report();
        assertThat(drifted.level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.ALERT);
        assertThat(drifted.level(DriftLevel.PREDICTIONS).reason()).startsWith("label PSI");
        assertThat(drifted.level(DriftLevel.PREDICTIONS).statistics().get("share_billing")).isGreaterThan(0.9);
        assertThat(drifted.level(DriftLevel.INPUTS).status()).isEqualTo(DriftStatus.OK);
        assertThat(drifted.level(DriftLevel.CONFIDENCE).status()).isEqualTo(DriftStatus.OK);
        assertThat(registry.get("peregrine_drift_status").tag("level", "predictions").gauge().value()).isEqualTo(2.0);

        for (int i = 0; i < 600; i++) {
            m.observe(normal());
        }
        assertThat(m.report().level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.OK);
        assertThat(changes).filteredOn(c -> c.level() == DriftLevel.PREDICTIONS)
                .extracting(DriftMonitor.StatusChange::to)
                .containsSubsequence(DriftStatus.OK, DriftStatus.ALERT, DriftStatus.OK);
    }

    @Test
    void unsurePredictions_alertTheConfidenceLevel() {
        DriftMonitor m = monitor(new SimpleMeterRegistry());
        for (int i = 0; i < 500; i++) {
            m.observe(Observation.classified(20, false, 0, confident(random.nextInt(4), 0.4)));
        }
        LevelReport confidence = m.report().level(DriftLevel.CONFIDENCE);
        assertThat(confidence.status()).isEqualTo(DriftStatus.ALERT);
        assertThat(confidence.statistics().get("mean_top1")).isCloseTo(0.4, org.assertj.core.data.Offset.offset(0.01));
        assertThat(m.report().level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.OK);
    }

    @Test
    void longTruncatedInputs_alertTheInputLevel() {
        DriftMonitor m = monitor(new SimpleMeterRegistry());
        for (int i = 0; i < 500; i++) {
            int label = random.nextInt(4);
            m.observe(Observation.classified(512, true, 3, confident(label, 0.9)));
        }
        LevelReport inputs = m.report().level(DriftLevel.INPUTS);
        assertThat(inputs.status()).isEqualTo(DriftStatus.ALERT);
        assertThat(inputs.statistics().get("truncation_rate")).isEqualTo(1.0);
        assertThat(inputs.statistics().get("length_psi")).isGreaterThan(1);
        assertThat(inputs.thresholds()).containsKeys("length_psi_alert", "truncation_increase_alert");
    }

    @Test
    void ownThread_processesEveryQueuedPrediction_andAccountsForAll() throws Exception {
        DriftMonitor m = DriftMonitor.builder("tickets", Task.CLASSIFICATION, LABELS)
                .warmup(1000).windows(500, 2000).queueCapacity(100_000).build();
        try {
            for (int i = 0; i < 3000; i++) {
                m.observe(normal());
            }
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (m.report().observed() < 3000 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(m.report().observed()).as("the owner thread drains the queue without being woken").isEqualTo(3000);
            assertThat(m.dropped()).isZero();
            assertThat(m.reference()).isPresent();
        } finally {
            m.close();
        }
        m.observe(normal());
        assertThat(m.dropped()).as("after close, predictions are counted as dropped, never queued").isEqualTo(1);
    }

    @Test
    void ownThread_fullQueue_dropsAndCounts_neverBlocks() {
        DriftMonitor m = DriftMonitor.builder("tickets", Task.CLASSIFICATION, LABELS).queueCapacity(1).build();
        try {
            for (int i = 0; i < 10_000; i++) {
                m.observe(normal());
            }
        } finally {
            m.close();
        }
        // Whatever the owner thread managed to take, nothing is unaccounted for.
        assertThat(m.report().observed() + m.dropped()).isEqualTo(10_000);
        assertThat(m.dropped()).isPositive();
    }

    @Test
    void fullQueue_dropsAndCounts_neverBlocks() {
        DriftMonitor m = DriftMonitor.builder("tickets", Task.CLASSIFICATION, LABELS)
                .executor(task -> {
                    throw new java.util.concurrent.RejectedExecutionException("full");
                }).build();
        m.observe(normal());
        m.observe(normal());
        assertThat(m.dropped()).isEqualTo(2);
        assertThat(m.report().observed()).isZero();
    }

    @Test
    void referenceRoundTripsThroughJson_andMustMatchTheModel() throws Exception {
        DriftMonitor m = monitor(new SimpleMeterRegistry());
        DriftReference ref = m.reference().orElseThrow();
        Path file = dir.resolve("ref.json");
        ref.write(file);
        DriftReference back = DriftReference.read(file);
        assertThat(back.labels()).isEqualTo(LABELS);
        assertThat(back.labelProportions()).containsExactly(ref.labelProportions());
        assertThat(back.lengthEdges()).containsExactly(ref.lengthEdges());

        assertThatThrownBy(() -> DriftMonitor.builder("x", Task.CLASSIFICATION, List.of("a", "b"))
                .reference(back, "ref.json").build())
                .hasMessageContaining("labels");
        assertThatThrownBy(() -> DriftMonitor.builder("x", Task.EMBEDDING, List.of())
                .reference(back, "ref.json").build())
                .hasMessageContaining("classification");
    }
}
