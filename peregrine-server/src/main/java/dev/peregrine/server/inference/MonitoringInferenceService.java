package dev.peregrine.server.inference;

import dev.peregrine.monitor.DriftMonitor;
import dev.peregrine.monitor.DriftReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Drift monitoring over another {@link InferenceService}: every answered text, cache hits included
 * (drift is about the traffic, not the work), is handed to its model's {@link DriftMonitor}. Handing
 * over is a bounded-queue offer, so monitoring never delays or fails a response. Also the
 * {@link DriftView} the HTTP layer reads reports through. Thread-safe.
 */
public final class MonitoringInferenceService implements InferenceService, DriftView {

    private final InferenceService delegate;
    private final ServedModels models;
    private final Map<String, DriftMonitor> monitors;

    /** @param monitors one per model name; models without one are not monitored */
    public MonitoringInferenceService(InferenceService delegate, ServedModels models, Map<String, DriftMonitor> monitors) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.models = Objects.requireNonNull(models, "models");
        this.monitors = new ConcurrentHashMap<>(monitors);
    }

    @Override
    public CompletableFuture<InferenceResult> infer(ResolvedRequest request) {
        DriftMonitor monitor = monitors.get(request.model().name());
        CompletableFuture<InferenceResult> work = delegate.infer(request);
        if (monitor == null || request.options().rawScores()) {
            return work;   // raw logits are no confidence to watch
        }
        return work.whenComplete((result, error) -> {
            if (result != null) {
                List<String> texts = request.texts();
                for (int i = 0; i < texts.size(); i++) {
                    monitor.observe(result.texts().get(i), texts.get(i));
                }
            }
        });
    }

    /** Starts monitoring a model loaded after start (in the background). */
    public void monitor(String model, DriftMonitor monitor) {
        monitors.put(model, monitor);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public List<DriftReport> reports() {
        List<DriftReport> out = new ArrayList<>();
        for (ServedModel m : models.all()) {
            DriftMonitor monitor = monitors.get(m.name());
            if (monitor != null) {
                out.add(monitor.report());
            }
        }
        return out;
    }

    @Override
    public Optional<DriftReport> report(String model) {
        DriftMonitor monitor = monitors.get(model);
        return monitor == null ? Optional.empty() : Optional.of(monitor.report());
    }
}
