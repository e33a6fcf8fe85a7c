package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import dev.peregrine.monitor.DriftMonitor;
import dev.peregrine.monitor.DriftReport;
import dev.peregrine.monitor.Observation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Drift monitoring around another {@link InferenceService}: every answered text, cache hits
 * included (drift is about the traffic, not the work), is handed to its model's
 * {@link DriftMonitor}. Handing over is a bounded-queue offer, so monitoring never delays or fails
 * a response. Thread-safe.
 */
public final class MonitoringInferenceService implements InferenceService {

    private final InferenceService delegate;
    private final Map<String, DriftMonitor> monitors;

    /** @param monitors one per model name; models without one are not monitored */
    public MonitoringInferenceService(InferenceService delegate, Map<String, DriftMonitor> monitors) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.monitors = new java.util.concurrent.ConcurrentHashMap<>(monitors);
    }

    /** The latest drift report of every monitored model, in serving order. */
    public List<DriftReport> reports() {
        List<DriftReport> out = new ArrayList<>();
        for (ServedModel m : delegate.models()) {
            DriftMonitor monitor = monitors.get(m.name());
            if (monitor != null) {
                out.add(monitor.report());
            }
        }
        return out;
    }

    /** Starts monitoring a model loaded after start (in the background). */
    public void monitor(String model, DriftMonitor monitor) {
        monitors.put(model, monitor);
    }

    /** The latest drift report of one model. */
    public Optional<DriftReport> report(String model) {
        DriftMonitor monitor = monitors.get(model);
        return monitor == null ? Optional.empty() : Optional.of(monitor.report());
    }

    @Override
    public List<ServedModel> models() {
        return delegate.models();
    }

    @Override
    public ServedModel resolve(String name, Task task) {
        return delegate.resolve(name, task);
    }

    @Override
    public boolean ready() {
        return delegate.ready();
    }

    @Override
    public CompletableFuture<EmbedResult> embed(String model, List<String> texts, RequestOptions options) {
        CompletableFuture<EmbedResult> work = delegate.embed(model, texts, options);
        return Cancellation.propagate(work.whenComplete((result, error) -> {
            DriftMonitor monitor = result == null ? null : monitors.get(result.model());
            if (monitor != null) {
                for (int i = 0; i < texts.size(); i++) {
                    TextStats s = result.texts().get(i);
                    monitor.observe(Observation.embedded(s.tokens(), s.truncated(), s.unknownTokens(),
                            result.vectors().get(i)), texts.get(i));
                }
            }
        }), work);
    }

    @Override
    public CompletableFuture<ClassifyResult> classify(String model, List<String> texts, RequestOptions options) {
        CompletableFuture<ClassifyResult> work = delegate.classify(model, texts, options);
        return Cancellation.propagate(work.whenComplete((result, error) -> {
            DriftMonitor monitor = result == null ? null : monitors.get(result.model());
            if (monitor != null) {
                for (int i = 0; i < texts.size(); i++) {
                    TextStats s = result.texts().get(i);
                    monitor.observe(Observation.classified(s.tokens(), s.truncated(), s.unknownTokens(),
                            result.predictions().get(i).probabilities()), texts.get(i));
                }
            }
        }), work);
    }
}
