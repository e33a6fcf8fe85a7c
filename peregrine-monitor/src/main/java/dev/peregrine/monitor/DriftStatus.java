package dev.peregrine.monitor;

import java.util.Locale;

/** How far a level has moved from the reference. */
public enum DriftStatus {
    OK(0),
    WARN(1),
    ALERT(2),
    /** The reference is still being collected, or the window has too few predictions to judge. */
    COLLECTING(-1),
    /** The level does not apply to this model (confidence of an embedder). */
    NOT_APPLICABLE(-2);

    private final int gauge;

    DriftStatus(int gauge) {
        this.gauge = gauge;
    }

    /** The value exported as a gauge: 0 ok, 1 warn, 2 alert, -1 collecting, -2 not applicable. */
    public int gauge() {
        return gauge;
    }

    /** The worse of two judged statuses. */
    static DriftStatus worst(DriftStatus a, DriftStatus b) {
        return a.gauge >= b.gauge ? a : b;
    }

    /** OK, WARN or ALERT for {@code value} against two ascending thresholds. */
    static DriftStatus of(double value, double warnAt, double alertAt) {
        if (value >= alertAt) {
            return ALERT;
        }
        return value >= warnAt ? WARN : OK;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
