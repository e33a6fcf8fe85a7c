package dev.peregrine.distill;

import ai.djl.training.tracker.Tracker;
import java.util.function.IntFunction;

/**
 * The learning rate: linear warm-up, then cosine decay to a tenth of the peak over the run's steps;
 * and when a time budget will end the run before its planned steps, over the steps the budget
 * allows instead.
 *
 * <p>A cosine decay planned for 2,205 steps and cut by the budget after 1,300 ends with the rate near
 * its peak: the last weights are those of a noisy, fast-moving phase, never the settled end of the
 * schedule. {@link LayerDistiller} fits the schedule once the warm-up has measured the step time, and
 * again as later steps show their pace (both ways, so a slow first minute does not end the decay
 * early); steps past a fitted end run at the final rate. Until fitted, the rates are exactly those
 * of DJL's warm-up and cosine trackers over the planned steps, so a run the budget does not cut is
 * the same as before.
 */
final class FittedSchedule implements Tracker {

    private final IntFunction<Tracker> schedule;
    private final int planned;
    private final int warmUp;
    private int total;
    private Tracker current;

    /**
     * @param schedule the warm-up tracker, its cosine decaying over a given number of updates after
     *                 the warm-up
     * @param planned  the steps the epochs ask for (the cosine's length as DJL was given it before)
     * @param warmUp   the warm-up's steps
     */
    FittedSchedule(IntFunction<Tracker> schedule, int planned, int warmUp) {
        this.schedule = schedule;
        this.planned = planned;
        this.warmUp = warmUp;
        this.total = planned;
        this.current = schedule.apply(planned);
    }

    /** The steps the rate decays over now. */
    synchronized int total() {
        return total;
    }

    /**
     * Decays over {@code steps} from now on: at most the planned steps (then exactly the planned
     * schedule again), at least {@code done + 1}.
     *
     * @return whether the schedule changed
     */
    synchronized boolean fitTo(int steps, int done) {
        int fitted = Math.max(done + 1, Math.min(planned, steps));
        if (fitted == total) {
            return false;
        }
        total = fitted;
        // The cosine starts after the warm-up: fitted, it reaches the final rate at step {@code fitted}.
        current = fitted == planned ? schedule.apply(planned) : schedule.apply(Math.max(1, fitted - warmUp));
        return true;
    }

    @Override
    public synchronized float getNewValue(int numUpdate) {
        return current.getNewValue(numUpdate);
    }
}
