package dev.peregrine.optimize.tune;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * "step k of n" for a long job, with the time left estimated from the steps done so far, and an
 * optional time budget the job can ask about. Not thread-safe: one job thread drives it.
 */
public final class Steps {

    private final Consumer<String> log;
    private final LongSupplier nanoTime;
    private final Duration budget;
    private final long start;
    private int total;
    private int done;

    /**
     * @param total    the steps expected (the job may correct it with {@link #total(int)})
     * @param budget   how long the job may take, or null for no limit
     * @param nanoTime the clock (System::nanoTime; tests pass their own)
     */
    public Steps(int total, Duration budget, Consumer<String> log, LongSupplier nanoTime) {
        this.total = Math.max(1, total);
        this.budget = budget;
        this.log = Objects.requireNonNull(log, "log");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.start = nanoTime.getAsLong();
    }

    /** Corrects the number of steps once it is known (never below the steps begun). */
    public void total(int steps) {
        total = Math.max(done, steps);
    }

    /** Logs the next step: "step 3 of 12: timing int8 (1 min 20 s elapsed, about 4 min 10 s left)". */
    public void begin(String what) {
        done++;
        total = Math.max(total, done);
        double elapsed = elapsedSeconds();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "step %d of %d: %s (%s elapsed", done, total,
                what, human(elapsed)));
        if (done > 1) {
            double perStep = elapsed / (done - 1);
            line.append(", about ").append(human(perStep * (total - done + 1))).append(" left");
        }
        if (budget != null) {
            line.append(", budget ").append(human(budget.toMillis() / 1000.0));
        }
        log.accept(line.append(')').toString());
    }

    /** Logs a line that is not a step (a note about the current one). */
    public void note(String line) {
        log.accept(line);
    }

    /** Whether the budget is spent (never, without one). */
    public boolean overBudget() {
        return budget != null && elapsedSeconds() * 1000 >= budget.toMillis();
    }

    public int done() {
        return done;
    }

    public int total() {
        return total;
    }

    private double elapsedSeconds() {
        return (nanoTime.getAsLong() - start) / 1e9;
    }

    static String human(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }
}
