package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * {@code POST /classify} as the seeds' FastAPI app answers it (served with
 * {@code --classify-format seeds}), so a client written for that app works unchanged:
 * {@code {"texts": [...]}} -> {@code {"predictions": ["billing", "technical"], "latency_ms": 42.8}},
 * labels as plain strings; at most {@value #MAX_TEXTS} texts, 400 for none or more. Errors carry
 * FastAPI's {@code detail} beside Peregrine's own fields.
 */
final class SeedsRoutes {

    /** The seeds' app's limit per request. */
    static final int MAX_TEXTS = 32;

    private final ServedModels models;
    private final int maxTexts;

    SeedsRoutes(ServedModels models, int maxInputs) {
        this.models = models;
        this.maxTexts = Math.min(MAX_TEXTS, maxInputs);
    }

    /** {@code POST /classify {"texts": [...], "model"?}}. */
    Pending classify(JsonNode body, RequestScope scope) {
        ServedModel served = models.resolve(JsonInput.string(body, "model"), Task.CLASSIFICATION);
        scope.model(served.name());
        JsonNode node = body.get("texts");
        if (node == null || node.isNull() || !node.isArray()) {
            throw new ApiException(ApiError.VALIDATION, "'texts' must be a list of strings"
                    + (node == null ? "" : ", not " + JsonInput.kind(node)));
        }
        List<String> texts = JsonInput.stringArray(node, "texts");
        // The seeds' app refuses both with 400 before looking at the texts.
        if (texts.isEmpty()) {
            throw new ApiException(ApiError.EMPTY, "'texts' must not be empty");
        }
        if (texts.size() > maxTexts) {
            throw new ApiException(ApiError.MALFORMED, "'texts' has " + texts.size() + " texts, more than the limit of "
                    + maxTexts + " per request");
        }
        JsonInput.checkTexts(texts, "texts", maxTexts);
        List<String> labels = served.info().labels();
        return Pending.of(scope.request(served, texts, null, null), result ->
                JsonOutput.write(g -> {
                    g.writeStartObject();
                    g.writeArrayFieldStart("predictions");
                    for (TextResult r : result.texts()) {
                        g.writeString(r.classification(labels).label());
                    }
                    g.writeEndArray();
                    g.writeNumberField("latency_ms", Math.round(scope.elapsedMillis() * 10) / 10.0);
                    g.writeEndObject();
                }));
    }

    /** An error in FastAPI's shape ({@code detail}), with Peregrine's {@code error} and {@code error_type}. */
    static Buffer error(ApiException e) {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("detail", e.getMessage());
            g.writeStringField("error", e.getMessage());
            g.writeStringField("error_type", e.error().type());
            g.writeEndObject();
        });
    }
}
