package dev.peregrine.server.inference;

import dev.peregrine.monitor.DriftReport;
import java.util.List;
import java.util.Optional;

/** What the HTTP layer may read of drift monitoring: the latest reports. Thread-safe. */
public interface DriftView {

    /** Monitoring is off: no reports. */
    DriftView OFF = new DriftView() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public List<DriftReport> reports() {
            return List.of();
        }

        @Override
        public Optional<DriftReport> report(String model) {
            return Optional.empty();
        }
    };

    /** Whether drift is monitored at all ({@code --drift}). */
    boolean enabled();

    /** The latest report of every monitored model, in serving order. */
    List<DriftReport> reports();

    /** The latest report of one model, by its served name. */
    Optional<DriftReport> report(String model);
}
