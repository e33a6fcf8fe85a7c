package dev.peregrine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final FakeTicker ticker = new FakeTicker();
    private final CircuitBreaker circuit = new CircuitBreaker(ticker, Duration.ofSeconds(1).toNanos(), 3);

    @Test
    void opensAfterThresholdFailuresInARow() {
        circuit.onFailure();
        circuit.onFailure();
        assertThat(circuit.tryAcquire()).isTrue();
        circuit.onFailure();
        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(circuit.tryAcquire()).isFalse();
        assertThat(circuit.isClosed()).isFalse();
    }

    @Test
    void successInBetween_resetsTheCount() {
        circuit.onFailure();
        circuit.onFailure();
        circuit.onSuccess();
        circuit.onFailure();
        circuit.onFailure();
        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void afterTheBackoff_exactlyOneProbeGoes_andItsSuccessCloses() {
        open();
        ticker.advance(Duration.ofMillis(999));
        assertThat(circuit.tryAcquire()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(circuit.tryAcquire()).as("the probe").isTrue();
        assertThat(circuit.tryAcquire()).as("others while probing").isFalse();
        assertThat(circuit.isClosed()).as("no writes while probing").isFalse();
        circuit.onSuccess();
        assertThat(circuit.tryAcquire()).isTrue();
        assertThat(circuit.isClosed()).isTrue();
    }

    @Test
    void failedProbe_opensForAnotherBackoff() {
        open();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(circuit.tryAcquire()).isTrue();
        circuit.onFailure();
        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.OPEN);
        ticker.advance(Duration.ofMillis(500));
        assertThat(circuit.tryAcquire()).isFalse();
        ticker.advance(Duration.ofMillis(500));
        assertThat(circuit.tryAcquire()).isTrue();
    }

    @Test
    void failuresOfCallsMadeBeforeOpening_doNotExtendTheBackoff() {
        open();
        ticker.advance(Duration.ofMillis(900));
        circuit.onFailure();
        ticker.advance(Duration.ofMillis(100));
        assertThat(circuit.tryAcquire()).isTrue();
    }

    private void open() {
        for (int i = 0; i < 3; i++) {
            circuit.onFailure();
        }
        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void anOutage_isReportedOnceWhenItBegins_andOnceWhenItEnds_howeverManyProbesFail() {
        assertThat(circuit.onFailure()).isFalse();
        assertThat(circuit.onFailure()).isFalse();
        assertThat(circuit.onFailure()).as("the third failure in a row opens: the outage begins").isTrue();
        assertThat(circuit.onFailure()).as("a late failure while open").isFalse();
        for (int probe = 0; probe < 3; probe++) {
            ticker.advance(Duration.ofSeconds(1));
            assertThat(circuit.tryAcquire()).isTrue();
            assertThat(circuit.onFailure()).as("failed probe %d: still the same outage", probe).isFalse();
        }
        ticker.advance(Duration.ofSeconds(1));
        assertThat(circuit.tryAcquire()).isTrue();
        assertThat(circuit.onSuccess()).as("the probe succeeds: the outage ends").isTrue();
        assertThat(circuit.onSuccess()).isFalse();
        circuit.onFailure();
        assertThat(circuit.onSuccess()).as("a failure below the threshold is no outage").isFalse();
    }
}
