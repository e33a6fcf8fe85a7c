package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.training.tracker.Tracker;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class FittedScheduleTest {

    static final int WARM_UP = 10;
    static final IntFunction<Tracker> SCHEDULE = total -> Tracker.warmUp().optWarmUpSteps(WARM_UP)
            .optWarmUpBeginValue(0f).setMainTracker(Tracker.cosine().setBaseValue(1e-3f).optFinalValue(1e-4f)
                    .setMaxUpdates(total).build()).build();

    @Test
    void unfitted_givesExactlyThePlannedSchedule() {
        FittedSchedule s = new FittedSchedule(SCHEDULE, 200, WARM_UP);
        Tracker planned = SCHEDULE.apply(200);
        for (int step = 0; step <= 260; step++) {
            assertThat(s.getNewValue(step)).as("step %d", step).isEqualTo(planned.getNewValue(step));
        }
        assertThat(s.total()).isEqualTo(200);
    }

    @Test
    void fittedToFewerSteps_decaysOverThose_andFollowsLaterEstimatesUpToThePlan() {
        FittedSchedule s = new FittedSchedule(SCHEDULE, 200, WARM_UP);
        float plannedAt100 = s.getNewValue(100);
        assertThat(s.fitTo(100, 20)).isTrue();
        assertThat(s.total()).isEqualTo(100);
        assertThat(s.getNewValue(5)).as("the warm-up is unchanged").isEqualTo(SCHEDULE.apply(200).getNewValue(5));
        assertThat(s.getNewValue(99)).isGreaterThan(1e-4f).isLessThan(plannedAt100 / 5);
        assertThat(s.getNewValue(100)).as("the final rate at the fitted end").isEqualTo(1e-4f);
        assertThat(s.getNewValue(150)).as("and after it").isEqualTo(1e-4f);
        assertThat(s.fitTo(10, 60)).as("never ends before the steps already run").isTrue();
        assertThat(s.total()).isEqualTo(61);
        assertThat(s.fitTo(150, 70)).as("a longer estimate stretches it again").isTrue();
        assertThat(s.total()).isEqualTo(150);
        assertThat(s.getNewValue(150)).isEqualTo(1e-4f);
        assertThat(s.fitTo(500, 80)).as("but never past the planned steps").isTrue();
        assertThat(s.total()).isEqualTo(200);
        Tracker planned = SCHEDULE.apply(200);
        for (int step = 80; step <= 260; step++) {
            assertThat(s.getNewValue(step)).as("back to the planned schedule, step %d", step)
                    .isEqualTo(planned.getNewValue(step));
        }
        assertThat(s.fitTo(500, 90)).isFalse();
    }
}
