package dev.peregrine.monitor;

import dev.peregrine.core.Task;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A model's drift at one moment.
 *
 * @param model      the model
 * @param task       classification or embedding
 * @param reference  where the reference came from ("file ...", "first N predictions", or "collecting")
 * @param observed   predictions seen since start
 * @param dropped    predictions not examined because the monitor fell behind (it never slows requests)
 * @param levels     inputs, predictions, confidence
 * @param at         when this report was made
 */
public record DriftReport(String model, Task task, String reference, long observed, long dropped,
                          List<LevelReport> levels, Instant at) {

    public DriftReport {
        Objects.requireNonNull(model, "model");
        levels = List.copyOf(levels);
    }

    /** The worst judged status of any level (collecting if none is judged yet). */
    public DriftStatus overall() {
        DriftStatus worst = DriftStatus.COLLECTING;
        for (LevelReport l : levels) {
            if (l.status().gauge() >= 0) {
                worst = worst.gauge() < 0 ? l.status() : DriftStatus.worst(worst, l.status());
            }
        }
        return worst;
    }

    public LevelReport level(DriftLevel level) {
        return levels.stream().filter(l -> l.level() == level).findFirst().orElseThrow();
    }
}
