package dev.peregrine.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The work estimate on its own: plain numbers, no threads, no clock. */
class WorkEstimateTest {

    @Test
    void beforeAnyPass_theCostIsThePessimisticSeed_andTheFirstPassReplacesIt() {
        WorkEstimate estimate = new WorkEstimate();
        assertThat(estimate.nanosPerToken()).isEqualTo(WorkEstimate.SEED_NANOS_PER_TOKEN);
        estimate.pass(1000, 20_000_000);
        assertThat(estimate.nanosPerToken()).isEqualTo(20_000);
    }

    @Test
    void bigPassesMoveTheCostMore_thanLoneTextsWhoseTimeIsMostlyOverhead() {
        WorkEstimate estimate = new WorkEstimate();
        estimate.pass(4096, 4096 * 10_000L);                  // 10 us per token, a full pass
        estimate.pass(8, 8 * 200_000L);                        // a lone text: 200 us per token
        assertThat(estimate.nanosPerToken()).as("barely moved").isCloseTo(10_000 + 190_000 * 8 / 4104.0, within(1.0));
        estimate.pass(4096, 4096 * 20_000L);                   // a full pass at 20 us
        assertThat(estimate.nanosPerToken()).isBetween(14_000.0, 16_000.0);
    }

    @Test
    void drainTime_isTokensTimesCost_sharedByTheWorkers() {
        WorkEstimate estimate = new WorkEstimate();
        estimate.pass(100, 100_000);                           // 1 us per token
        assertThat(estimate.drainNanos(3000, 1)).isEqualTo(3_000_000);
        assertThat(estimate.drainNanos(3000, 2)).isEqualTo(1_500_000);
        estimate.submitted(10, 10 * 200L);
        assertThat(estimate.tokensFor(4)).isGreaterThan(4 * (long) WorkEstimate.SEED_TOKENS_PER_TEXT);
    }
}
