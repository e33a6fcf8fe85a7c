package dev.peregrine.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.Datasets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drift of the real default embedder on the shipped drift sets: English support texts as the
 * reference, then German, very long and gibberish streams.
 */
class EmbedderDriftTest {

    private static Engine engine;
    private static DriftReference reference;
    private static List<Observation> english;
    private static List<Observation> german;
    private static List<Observation> longTexts;
    private static List<Observation> gibberish;

    @BeforeAll
    static void embedTheSets() {
        engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
        english = observe(Datasets.driftReference());
        german = observe(Datasets.driftGerman());
        longTexts = observe(Datasets.driftLong());
        gibberish = observe(Datasets.driftGibberish());
        ReferenceBuilder builder = new ReferenceBuilder("all-minilm-l6-v2", Task.EMBEDDING, List.of());
        english.forEach(builder::add);
        reference = builder.build();
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static List<Observation> observe(List<String> texts) {
        List<EncodedText> encoded = engine.encode(texts);
        float[][] rows = engine.run(encoded);
        List<Observation> out = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            EncodedText e = encoded.get(i);
            out.add(Observation.embedded(e.length(), e.truncated(), e.unknownTokens(), rows[i]));
        }
        return out;
    }

    private DriftMonitor monitor(List<DriftMonitor.StatusChange> changes) {
        return DriftMonitor.builder("all-minilm-l6-v2", Task.EMBEDDING, List.of())
                .reference(reference, "drift/reference.txt").windows(200, 1000)
                .executor(Runnable::run).onStatusChange(changes::add).build();
    }

    private final java.util.Random random = new java.util.Random(17);

    /** Traffic drawn at random (seeded) from a stream, as real requests arrive in no particular order. */
    private void feed(DriftMonitor m, List<Observation> stream, int count) {
        for (int i = 0; i < count; i++) {
            m.observe(stream.get(random.nextInt(stream.size())));
        }
    }

    @Test
    void referenceDistribution_staysOk_andConfidenceDoesNotApply() {
        DriftMonitor m = monitor(new ArrayList<>());
        feed(m, english, 600);
        DriftReport r = m.report();
        assertThat(r.level(DriftLevel.INPUTS).statistics().get("length_psi")).as("PSI").isLessThan(0.1);
        assertThat(r.level(DriftLevel.PREDICTIONS).statistics().get("centroid_shift_relative")).isLessThan(0.2);
        assertThat(r.level(DriftLevel.INPUTS).status()).isEqualTo(DriftStatus.OK);
        assertThat(r.level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.OK);
        assertThat(r.level(DriftLevel.CONFIDENCE).status()).isEqualTo(DriftStatus.NOT_APPLICABLE);
        assertThat(r.overall()).isEqualTo(DriftStatus.OK);
    }

    @Test
    void germanStream_alertsThePredictionLevel_andBackToOkAfterwards() {
        List<DriftMonitor.StatusChange> changes = new ArrayList<>();
        DriftMonitor m = monitor(changes);
        feed(m, english, 200);
        feed(m, german, 200);
        LevelReport predictions = m.report().level(DriftLevel.PREDICTIONS);
        assertThat(predictions.status()).isEqualTo(DriftStatus.ALERT);
        assertThat(predictions.statistics().get("centroid_shift_relative")).isGreaterThan(0.35);
        assertThat(predictions.statistics().get("similarity_drop_sd")).isGreaterThan(1.5);
        feed(m, english, 200);
        assertThat(m.report().level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.OK);
        assertThat(changes).filteredOn(c -> c.level() == DriftLevel.PREDICTIONS)
                .extracting(DriftMonitor.StatusChange::to).containsSubsequence(DriftStatus.ALERT, DriftStatus.OK);
    }

    @Test
    void veryLongTexts_alertTheInputLevel_withTruncation() {
        DriftMonitor m = monitor(new ArrayList<>());
        feed(m, english, 200);
        feed(m, longTexts, 200);
        LevelReport inputs = m.report().level(DriftLevel.INPUTS);
        assertThat(inputs.status()).isEqualTo(DriftStatus.ALERT);
        assertThat(inputs.statistics().get("truncation_rate")).isEqualTo(1.0);
        assertThat(inputs.statistics().get("mean_tokens")).isEqualTo(256.0);
        feed(m, english, 200);
        assertThat(m.report().level(DriftLevel.INPUTS).status()).isEqualTo(DriftStatus.OK);
    }

    @Test
    void gibberish_alertsBothInputsAndPredictions() {
        DriftMonitor m = monitor(new ArrayList<>());
        feed(m, gibberish, 200);
        DriftReport r = m.report();
        assertThat(r.level(DriftLevel.INPUTS).status()).isEqualTo(DriftStatus.ALERT);
        assertThat(r.level(DriftLevel.PREDICTIONS).status()).isEqualTo(DriftStatus.ALERT);
    }
}
