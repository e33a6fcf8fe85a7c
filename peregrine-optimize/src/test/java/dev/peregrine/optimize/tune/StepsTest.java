package dev.peregrine.optimize.tune;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StepsTest {

    private final AtomicLong now = new AtomicLong();
    private final List<String> log = new ArrayList<>();

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * 1e9));
    }

    @Test
    void eachStepSaysWhereItIs_andTheTimeLeftFromTheStepsSoFar() {
        Steps steps = new Steps(4, null, log::add, now::get);
        steps.begin("building");
        advance(10);
        steps.begin("timing");
        advance(20);
        steps.total(5);
        steps.begin("sweeping");
        assertThat(log).containsExactly(
                "step 1 of 4: building (0 s elapsed)",
                "step 2 of 4: timing (10 s elapsed, about 30 s left)",
                "step 3 of 5: sweeping (30 s elapsed, about 45 s left)");
    }

    @Test
    void theBudgetIsSpentOnceItsTimeHasPassed_andStepsBeyondTheTotalRaiseIt() {
        Steps steps = new Steps(1, Duration.ofSeconds(60), log::add, now::get);
        assertThat(steps.overBudget()).isFalse();
        advance(59.9);
        assertThat(steps.overBudget()).isFalse();
        advance(0.1);
        assertThat(steps.overBudget()).isTrue();
        steps.begin("a");
        steps.begin("b");
        assertThat(log.get(1)).startsWith("step 2 of 2: b (1 min 00 s elapsed, about 1 min 00 s left, budget 1 min 00 s)");
        assertThat(new Steps(3, null, log::add, now::get).overBudget()).isFalse();
    }
}
