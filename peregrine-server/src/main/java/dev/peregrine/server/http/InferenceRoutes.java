package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.LabelScore;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON-over-HTTP routes whose shapes existing clients already speak: Peregrine's own
 * {@code /classify}, text-embeddings-inference's {@code /embed} and {@code /predict} (OpenAI's are in
 * {@link OpenAiRoutes}, the seeds' {@code /classify} in {@link SeedsRoutes}). Each validates its body,
 * resolves it into one request, and renders the result; nothing else.
 */
final class InferenceRoutes {

    private final ServedModels models;
    private final int maxInputs;
    private final TeiOptions embedding;

    InferenceRoutes(ServedModels models, int maxInputs, TeiOptions embedding) {
        this.models = models;
        this.maxInputs = maxInputs;
        this.embedding = embedding;
    }

    /** A validated {@code /classify} body. */
    record ClassifyBody(String model, List<String> texts, int topK, LongTextMode longText) {
        static ClassifyBody parse(JsonNode body, int maxInputs) {
            String model = JsonInput.string(body, "model");
            List<String> texts = JsonInput.texts(body, "texts", maxInputs);
            Integer topK = JsonInput.integer(body, "top_k", 1);
            Boolean all = JsonInput.bool(body, "return_all_scores");
            return new ClassifyBody(model, texts, Boolean.TRUE.equals(all) ? Integer.MAX_VALUE : topK == null ? 0 : topK,
                    JsonInput.longText(body));
        }
    }

    /**
     * {@code POST /classify {"texts": [...], "model"?, "top_k"?, "return_all_scores"?, "long_text"?, "truncate"?}}
     * -> {@code {"predictions": [{"label", "score", "scores"?, "windows"?}], "model", "latency_ms"}}
     * ({@code windows} with {@code long_text: chunk}).
     */
    Pending classify(JsonNode json, RequestScope scope) {
        // The model first, so that even a request with a bad body is counted under its model.
        ServedModel served = resolve(JsonInput.string(json, "model"), Task.CLASSIFICATION);
        scope.model(served.name());
        ClassifyBody body = ClassifyBody.parse(json, maxInputs);
        int k = body.topK();
        List<String> labels = served.info().labels();
        ResolvedRequest request = scope.request(served, body.texts(), body.longText(), null);
        boolean windows = request.options().longText() == LongTextMode.CHUNK;
        return Pending.of(request, result ->
                JsonOutput.write(g -> {
                    g.writeStartObject();
                    g.writeArrayFieldStart("predictions");
                    for (TextResult r : result.texts()) {
                        Classification c = r.classification(labels);
                        g.writeStartObject();
                        g.writeStringField("label", c.label());
                        g.writeNumberField("score", c.score());
                        if (k > 0) {
                            g.writeFieldName("scores");
                            scores(g, c.top(Math.min(k, c.labels().size())));
                        }
                        if (windows) {
                            g.writeNumberField("windows", r.windows());
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeStringField("model", result.model().name());
                    g.writeNumberField("latency_ms", Math.round(scope.elapsedMillis() * 1000) / 1000.0);
                    g.writeEndObject();
                }));
    }

    /** A validated text-embeddings-inference {@code /embed} body: texts or token ids. */
    record EmbedBody(String model, TextsOrIds inputs, boolean normalize, LongTextMode longText, TruncationDirection direction,
                     String promptName, Integer dimensions) {
        static EmbedBody parse(JsonNode body, int maxInputs) {
            String model = JsonInput.string(body, "model");
            TextsOrIds inputs = TextsOrIds.parse(body, "inputs", maxInputs);
            Boolean normalize = JsonInput.bool(body, "normalize");
            // TEI normalizes unless told not to, whatever the model's own default.
            return new EmbedBody(model, inputs, normalize == null || normalize, JsonInput.longText(body), TeiOptions.direction(body),
                    JsonInput.string(body, "prompt_name"), JsonInput.integer(body, "dimensions", 1));
        }
    }

    /**
     * text-embeddings-inference's {@code POST /embed {"inputs": str|[str]|[int]|[[int]], "normalize"?: true,
     * "truncate"?, "long_text"?, "truncation_direction"?, "prompt_name"?, "dimensions"?}} -> {@code [[...], ...]}, always a
     * list of lists (windows per text in a header, with {@code long_text: chunk}).
     */
    Pending embed(JsonNode json, RequestScope scope) {
        // The model first, so that even a request with a bad body is counted under its model.
        ServedModel served = resolve(JsonInput.string(json, "model"), Task.EMBEDDING);
        scope.model(served.name());
        EmbedBody body = EmbedBody.parse(json, maxInputs);
        String prompt = embedding.prompt(served, body.promptName());
        EmbedInputs inputs = EmbedInputs.of(body.inputs(), "inputs", maxInputs, served, prompt);
        List<String> texts = embedding.prompted(served, body.promptName(), inputs.texts());
        boolean norm = body.normalize();
        int dimensions = embedding.dimensions(served, body.dimensions());
        ResolvedRequest request = scope.request(served, texts, body.longText(), norm);
        int size = JsonOutput.vectorsSize(texts.size(), served.info().dimension(), 2);
        return Pending.of(request.withOptions(request.options().withTokenization(body.direction(),
                inputs.addSpecialTokens())), result ->
                JsonOutput.write(size, g -> {
                    g.writeStartArray();
                    for (TextResult r : result.texts()) {
                        JsonOutput.floats(g, TeiOptions.cut(r.values(), dimensions, norm));
                    }
                    g.writeEndArray();
                }));
    }

    /** A validated text-embeddings-inference {@code /predict} body; {@code single} for one bare string. */
    record PredictBody(String model, List<String> texts, boolean single, LongTextMode longText, TruncationDirection direction,
                       boolean rawScores) {
        static PredictBody parse(JsonNode body, int maxInputs) {
            String model = JsonInput.string(body, "model");
            JsonNode inputs = body.get("inputs");
            if (inputs == null || inputs.isNull()) {
                throw new ApiException(ApiError.VALIDATION, "missing field 'inputs'");
            }
            boolean rawScores = Boolean.TRUE.equals(JsonInput.bool(body, "raw_scores"));
            TruncationDirection direction = TeiOptions.direction(body);
            LongTextMode longText = JsonInput.longText(body);
            boolean single = inputs.isTextual();
            List<String> texts;
            if (single) {
                texts = List.of(inputs.asText());
            } else if (inputs.isArray()) {
                texts = new ArrayList<>(inputs.size());
                for (int i = 0; i < inputs.size(); i++) {
                    JsonNode item = inputs.get(i);
                    if (item.isTextual()) {
                        texts.add(item.asText());
                    } else if (item.isArray() && item.size() == 1 && item.get(0).isTextual()) {
                        texts.add(item.get(0).asText());
                    } else if (item.isArray() && item.size() == 2) {
                        throw new ApiException(ApiError.VALIDATION, "'inputs[" + i + "]' is a text pair; pairs are not supported");
                    } else {
                        throw new ApiException(ApiError.VALIDATION, "'inputs[" + i + "]' must be a string or [string], not "
                                + JsonInput.kind(item));
                    }
                }
            } else {
                throw new ApiException(ApiError.VALIDATION, "'inputs' must be a string or a list of strings, not "
                        + JsonInput.kind(inputs));
            }
            JsonInput.checkTexts(texts, "inputs", maxInputs);
            return new PredictBody(model, texts, single, longText, direction, rawScores);
        }
    }

    /**
     * text-embeddings-inference's {@code POST /predict {"inputs": str | [str] | [[str], ...], "truncate"?,
     * "long_text"?, "truncation_direction"?, "raw_scores"?}} -> all classes as {@code {"score", "label"}}, most probable
     * first (probabilities, or with {@code raw_scores} the logits): one list for a single text, a list of
     * lists for a batch.
     */
    Pending predict(JsonNode json, RequestScope scope) {
        // The model first, so that even a request with a bad body is counted under its model.
        ServedModel served = resolve(JsonInput.string(json, "model"), Task.CLASSIFICATION);
        scope.model(served.name());
        PredictBody body = PredictBody.parse(json, maxInputs);
        boolean single = body.single();
        List<String> labels = served.info().labels();
        ResolvedRequest request = scope.request(served, body.texts(), body.longText(), null);
        request = request.withOptions(request.options().withTokenization(body.direction(), true)
                .withRawScores(body.rawScores()));
        return Pending.of(request, result ->
                JsonOutput.write(g -> {
                    if (single) {
                        predictions(g, result.texts().get(0).classification(labels));
                    } else {
                        g.writeStartArray();
                        for (TextResult r : result.texts()) {
                            predictions(g, r.classification(labels));
                        }
                        g.writeEndArray();
                    }
                }));
    }

    /** The served model a request names, its name shortened in the error when it is not served. */
    private ServedModel resolve(String name, Task task) {
        try {
            return models.resolve(name, task);
        } catch (PeregrineException e) {
            if (name != null && name.length() > Echo.MAX_CHARS && e.getMessage() != null) {
                throw new PeregrineException(e.kind(), e.getMessage().replace(name, Echo.of(name)));
            }
            throw e;
        }
    }

    private static void predictions(JsonGenerator g, Classification c) throws IOException {
        g.writeStartArray();
        for (LabelScore s : c.ranked()) {
            g.writeStartObject();
            g.writeNumberField("score", s.score());
            g.writeStringField("label", s.label());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void scores(JsonGenerator g, List<LabelScore> scores) throws IOException {
        g.writeStartArray();
        for (LabelScore s : scores) {
            g.writeStartObject();
            g.writeStringField("label", s.label());
            g.writeNumberField("score", s.score());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
