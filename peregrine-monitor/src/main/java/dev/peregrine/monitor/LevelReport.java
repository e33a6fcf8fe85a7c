package dev.peregrine.monitor;

import java.util.Map;
import java.util.Objects;

/**
 * One level's verdict.
 *
 * @param level       which level
 * @param status      its status over the short window
 * @param reason      the statistic that decided it, in words ("" when ok)
 * @param statistics  the short window's statistics, then the long window's (prefixed {@code long_})
 * @param thresholds  the warn and alert thresholds of each statistic
 * @param window      predictions in the short window now
 * @param windowSize  the short window's size
 */
public record LevelReport(DriftLevel level, DriftStatus status, String reason, Map<String, Double> statistics,
                          Map<String, Double> thresholds, long window, int windowSize) {
    public LevelReport {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(status, "status");
        statistics = Map.copyOf(statistics);
        thresholds = Map.copyOf(thresholds);
    }
}
