package dev.peregrine.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void psi_isZeroForTheSameDistribution_andGrowsWithTheShift() {
        double[] expected = {0.25, 0.25, 0.25, 0.25};
        assertThat(Stats.psi(new long[] {25, 25, 25, 25}, expected)).isCloseTo(0, within(1e-12));
        // By hand: (0.4-0.25)ln(0.4/0.25) + (0.1-0.25)ln(0.1/0.25) twice = 2 * (0.0705 + 0.1374).
        assertThat(Stats.psi(new long[] {40, 10, 40, 10}, expected)).isCloseTo(0.4159, within(1e-3));
        assertThat(Stats.psi(new long[] {100, 0, 0, 0}, expected)).isGreaterThan(2);
    }

    @Test
    void chiSquare_pValueIsHighForAMatchAndTinyForASkew() {
        double[] expected = {0.5, 0.5};
        assertThat(Stats.chiSquarePValue(new long[] {50, 50}, expected)).isCloseTo(1.0, within(1e-9));
        // chi2 = 4 with 1 degree of freedom: p = 0.0455.
        assertThat(Stats.chiSquarePValue(new long[] {60, 40}, expected)).isCloseTo(0.0455, within(1e-3));
        assertThat(Stats.chiSquarePValue(new long[] {100, 0}, expected)).isLessThan(1e-10);
    }

    @Test
    void entropy_ofCertainAndUniformPredictions() {
        assertThat(Stats.entropy(new float[] {1, 0, 0})).isCloseTo(0, within(1e-12));
        assertThat(Stats.entropy(new float[] {0.25f, 0.25f, 0.25f, 0.25f})).isCloseTo(Math.log(4), within(1e-6));
    }
}
