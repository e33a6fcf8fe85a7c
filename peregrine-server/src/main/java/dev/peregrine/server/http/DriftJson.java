package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.peregrine.monitor.DriftReport;
import dev.peregrine.monitor.LevelReport;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /drift}: per model and level, the status, the statistic that decided it, every
 * statistic, the thresholds and the window.
 *
 * <pre>{@code
 * {"models": [{"model": "m", "task": "embedding", "status": "alert", "reference": "...",
 *   "observed": 1200, "dropped": 0, "at": "...",
 *   "levels": {"inputs": {"level": 1, "status": "ok", "reason": "", "window": 1000, "window_size": 1000,
 *                         "statistics": {...}, "thresholds": {...}}, "predictions": {...}, "confidence": {...}}}]}
 * }</pre>
 */
final class DriftJson {

    private DriftJson() {
    }

    static Buffer all(List<DriftReport> reports) {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("models");
            for (DriftReport r : reports) {
                report(g, r);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static Buffer one(DriftReport report) {
        return JsonOutput.write(g -> report(g, report));
    }

    private static void report(JsonGenerator g, DriftReport r) throws IOException {
        g.writeStartObject();
        g.writeStringField("model", r.model());
        g.writeStringField("task", r.task().id());
        g.writeStringField("status", r.overall().id());
        g.writeStringField("reference", r.reference());
        g.writeNumberField("observed", r.observed());
        g.writeNumberField("dropped", r.dropped());
        g.writeStringField("at", r.at().toString());
        g.writeObjectFieldStart("levels");
        for (LevelReport l : r.levels()) {
            g.writeObjectFieldStart(l.level().id());
            g.writeNumberField("level", l.level().number());
            g.writeStringField("status", l.status().id());
            g.writeStringField("reason", l.reason());
            g.writeNumberField("window", l.window());
            g.writeNumberField("window_size", l.windowSize());
            numbers(g, "statistics", l.statistics());
            numbers(g, "thresholds", l.thresholds());
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void numbers(JsonGenerator g, String field, Map<String, Double> values) throws IOException {
        g.writeObjectFieldStart(field);
        for (Map.Entry<String, Double> e : new java.util.TreeMap<>(values).entrySet()) {
            double v = e.getValue();
            if (Double.isFinite(v)) {
                g.writeNumberField(e.getKey(), v);
            } else {
                g.writeNullField(e.getKey());
            }
        }
        g.writeEndObject();
    }
}
