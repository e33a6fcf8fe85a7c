package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.Token;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import dev.peregrine.server.inference.Timings;
import java.util.ArrayList;
import java.util.List;

/**
 * text-embeddings-inference's routes beyond {@code /embed} and {@code /predict}, in its request and
 * response shapes:
 * <ul>
 *   <li>{@code POST /tokenize {"inputs": str|[str], "add_special_tokens"?: true, "prompt_name"?}} ->
 *       {@code [[{"id", "text", "special", "start", "stop"}]]} (offsets in UTF-8 bytes of the text with its
 *       prompt; null for special tokens), one list per text;</li>
 *   <li>{@code POST /decode {"ids": [int]|[[int]], "skip_special_tokens"?: true}} -> {@code ["text", ...]};</li>
 *   <li>{@code POST /embed_all {"inputs" (texts or token ids), "truncate"?, "truncation_direction"?, "prompt_name"?}} -> every
 *       token's vector before pooling, {@code [[[...]]]};</li>
 *   <li>{@code POST /similarity {"inputs": {"source_sentence", "sentences"}, "parameters"?: {"truncate",
 *       "truncation_direction", "prompt_name"}}} -> the cosine of each sentence with the source.</li>
 * </ul>
 * Each also takes {@code "model"} (a served name or alias; default: the first served model that can
 * do it). {@code /tokenize}, {@code /decode} and {@code /embed_all} run on the request's own thread
 * with the model's first engine, outside the batcher (they are for inspection and for late-interaction
 * use at modest rates); {@code /similarity} is an {@code /embed} request underneath, batched and cached.
 */
final class TeiRoutes {

    private final ServedModels models;
    private final int maxInputs;
    private final TeiOptions options;

    TeiRoutes(ServedModels models, int maxInputs, TeiOptions options) {
        this.models = models;
        this.maxInputs = maxInputs;
        this.options = options;
    }

    /** {@code /tokenize}: the model's tokens for each text, without truncation. */
    Pending tokenize(JsonNode json, RequestScope scope) {
        ServedModel model = anyModel(JsonInput.string(json, "model"));
        scope.model(model.name());
        List<String> texts = JsonInput.texts(json, "inputs", maxInputs);
        Boolean special = JsonInput.bool(json, "add_special_tokens");
        List<String> prompted = options.prompted(model, JsonInput.string(json, "prompt_name"), texts);
        long t0 = System.nanoTime();
        List<List<Token>> tokens = new ArrayList<>(prompted.size());
        int count = 0;
        for (String text : prompted) {
            List<Token> t = model.engine().tokenizer().tokens(text, special == null || special);
            count += t.size();
            tokens.add(t);
        }
        Timings timings = new Timings(System.nanoTime() - t0, 0, 0);
        return Pending.answered(model.name(),
                JsonOutput.write(g -> {
                    g.writeStartArray();
                    for (List<Token> text : tokens) {
                        g.writeStartArray();
                        for (Token t : text) {
                            g.writeStartObject();
                            g.writeNumberField("id", t.id());
                            g.writeStringField("text", t.text());
                            g.writeBooleanField("special", t.special());
                            if (t.special()) {
                                g.writeNullField("start");
                                g.writeNullField("stop");
                            } else {
                                g.writeNumberField("start", t.start());
                                g.writeNumberField("stop", t.stop());
                            }
                            g.writeEndObject();
                        }
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                }), timings, count);
    }

    /** {@code /decode}: token ids back to text. */
    Pending decode(JsonNode json, RequestScope scope) {
        ServedModel model = anyModel(JsonInput.string(json, "model"));
        scope.model(model.name());
        List<long[]> ids = TokenIds.lists(json, "ids", maxInputs);
        Boolean skip = JsonInput.bool(json, "skip_special_tokens");
        long t0 = System.nanoTime();
        List<String> texts = new ArrayList<>(ids.size());
        int count = 0;
        for (int i = 0; i < ids.size(); i++) {
            try {
                texts.add(model.engine().tokenizer().decode(ids.get(i), skip == null || skip));
            } catch (PeregrineException e) {
                throw new ApiException(ApiError.VALIDATION, (ids.size() == 1 ? "'ids': " : "'ids[" + i + "]': ")
                        + e.getMessage());
            }
            count += ids.get(i).length;
        }
        Timings timings = new Timings(System.nanoTime() - t0, 0, 0);
        return Pending.answered(model.name(),
                JsonOutput.write(g -> {
                    g.writeStartArray();
                    for (String t : texts) {
                        g.writeString(t);
                    }
                    g.writeEndArray();
                }), timings, count);
    }

    /** {@code /embed_all}: every token's vector, before pooling. */
    Pending embedAll(JsonNode json, RequestScope scope) {
        ServedModel model = resolve(JsonInput.string(json, "model"), Task.EMBEDDING);
        scope.model(model.name());
        TextsOrIds given = TextsOrIds.parse(json, "inputs", maxInputs);
        Boolean truncate = JsonInput.bool(json, "truncate");
        TruncationDirection direction = TeiOptions.direction(json);
        String promptName = JsonInput.string(json, "prompt_name");
        EmbedInputs inputs = EmbedInputs.of(given, "inputs", maxInputs, model, options.prompt(model, promptName));
        List<String> prompted = options.prompted(model, promptName, inputs.texts());
        Engine engine = model.engine();
        long t0 = System.nanoTime();
        List<EncodedText> encoded = engine.encode(prompted, scope.truncate(truncate), direction,
                inputs.addSpecialTokens());
        long t1 = System.nanoTime();
        List<float[][]> vectors = engine.embedTokens(encoded);
        Timings timings = new Timings(t1 - t0, 0, System.nanoTime() - t1);
        int tokens = encoded.stream().mapToInt(EncodedText::length).sum();
        return Pending.answered(model.name(),
                JsonOutput.write(g -> {
                    g.writeStartArray();
                    for (float[][] text : vectors) {
                        g.writeStartArray();
                        for (float[] token : text) {
                            JsonOutput.floats(g, token);
                        }
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                }), timings, tokens);
    }

    /** {@code /similarity}: cosine of each sentence with the source sentence. */
    Pending similarity(JsonNode json, RequestScope scope) {
        ServedModel model = resolve(JsonInput.string(json, "model"), Task.EMBEDDING);
        scope.model(model.name());
        JsonNode inputs = json.get("inputs");
        if (inputs == null || !inputs.isObject()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs' must be an object with 'source_sentence' and 'sentences'"
                    + (inputs == null ? ", and is missing" : ", not " + JsonInput.kind(inputs)));
        }
        String source = JsonInput.string(inputs, "source_sentence");
        if (source == null) {
            throw new ApiException(ApiError.VALIDATION, "missing field 'inputs.source_sentence'");
        }
        JsonNode sentencesNode = inputs.get("sentences");
        if (sentencesNode == null || !sentencesNode.isArray()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs.sentences' must be a list of strings"
                    + (sentencesNode == null ? ", and is missing" : ", not " + JsonInput.kind(sentencesNode)));
        }
        List<String> sentences = JsonInput.stringArray(sentencesNode, "inputs.sentences");
        if (sentences.isEmpty()) {
            throw new ApiException(ApiError.EMPTY, "'inputs.sentences' has no texts");
        }
        List<String> texts = new ArrayList<>(sentences.size() + 1);
        texts.add(source);
        texts.addAll(sentences);
        // The source counts against the limit too, as in text-embeddings-inference.
        JsonInput.checkTexts(texts, "inputs", maxInputs);
        JsonNode parameters = json.get("parameters");
        if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
            throw new ApiException(ApiError.VALIDATION, "'parameters' must be an object, not " + JsonInput.kind(parameters));
        }
        JsonNode p = parameters == null || parameters.isNull() ? JsonInput.JSON.createObjectNode() : parameters;
        LongTextMode longText = JsonInput.longText(p);
        TruncationDirection direction = TeiOptions.direction(p);
        List<String> prompted = options.prompted(model, JsonInput.string(p, "prompt_name"), texts);
        ResolvedRequest request = scope.request(model, prompted, longText, false);
        return Pending.of(request.withOptions(request.options().withTokenization(direction, true)),
                result -> JsonOutput.write(g -> {
            List<TextResult> vectors = result.texts();
            float[] s = vectors.get(0).values();
            g.writeStartArray();
            for (int i = 1; i < vectors.size(); i++) {
                g.writeNumber(cosine(s, vectors.get(i).values()));
            }
            g.writeEndArray();
        }));
    }

    static float cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0f : (float) (dot / Math.sqrt(na * nb));
    }

    /** The model a request names (by name or alias) whatever its task; the first served model when none. */
    private ServedModel anyModel(String name) {
        if (name == null) {
            return models.all().get(0);
        }
        return models.find(name).orElseThrow(() -> new ApiException(ApiError.NOT_FOUND, "no model named '"
                + Echo.of(name) + "' is served (models: " + models.names() + ")"));
    }

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
}
