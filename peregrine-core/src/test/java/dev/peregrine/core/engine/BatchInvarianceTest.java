package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A text's vector must not depend on its batch companions, its position or the batch policy. */
class BatchInvarianceTest {

    private static final float TOLERANCE = 1e-5f;
    private static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"),
                EngineOptions.builder().maxBatchSize(64).maxBatchTokens(64 * 256).build());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void textAlone_equalsTextInsideMixedBatchOf64_atEveryPosition() {
        List<String> pool = Fixtures.variedTexts();
        List<String> batch = new ArrayList<>(pool);
        batch.addAll(pool.subList(0, 64 - pool.size()));
        assertThat(batch).hasSize(64);

        List<float[]> alone = new ArrayList<>();
        for (String t : batch) {
            alone.add(engine.embed(List.of(t)).get(0));
        }
        // Several shuffles put each text at many positions and next to different neighbours.
        Random random = new Random(7);
        for (int round = 0; round < 3; round++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            List<String> shuffled = order.stream().map(batch::get).toList();
            List<float[]> together = engine.embed(shuffled);
            for (int k = 0; k < shuffled.size(); k++) {
                assertClose(together.get(k), alone.get(order.get(k)), "text " + order.get(k) + " at position " + k);
            }
        }
    }

    @Test
    void unsortedAndTinyBatches_giveTheSameVectors() {
        List<String> texts = Fixtures.variedTexts();
        List<float[]> reference = engine.embed(texts);
        try (Engine unsorted = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"),
                EngineOptions.builder().sortByLength(false).maxBatchSize(5).maxBatchTokens(300).build())) {
            List<float[]> other = unsorted.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertClose(other.get(i), reference.get(i), "text " + i);
            }
        }
    }

    @Test
    void threadsThatStopSpinningBetweenRuns_giveTheSameVectors() {
        List<String> texts = Fixtures.variedTexts();
        List<float[]> reference = engine.embed(texts);
        EngineOptions options = EngineOptions.builder().maxBatchSize(64).maxBatchTokens(64 * 256).intraOpThreads(2)
                .spinBetweenRuns(false).build();
        assertThat(options.toBuilder().build().spinBetweenRuns()).isFalse();
        try (Engine stopping = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"), options)) {
            for (int round = 0; round < 2; round++) {
                List<float[]> other = stopping.embed(texts);
                for (int i = 0; i < texts.size(); i++) {
                    assertClose(other.get(i), reference.get(i), "text " + i + ", round " + round);
                }
            }
        }
    }

    @Test
    void forward_returnsRowsInTheGivenOrder() {
        List<String> texts = List.of("a much longer text than the others, with many more tokens in it", "short", "mid length text");
        var encoded = engine.encode(texts);
        float[][] rows = engine.forward(encoded);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = engine.forward(List.of(encoded.get(i)))[0];
            assertClose(rows[i], alone, "row " + i);
        }
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        float worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as("largest difference for %s", what).isLessThanOrEqualTo(TOLERANCE);
    }
}
