package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.Task;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * OpenAI's API as its clients use it: {@code POST /v1/embeddings}, {@code GET /v1/models},
 * {@code GET /v1/models/{id}}, and OpenAI's error shape on every {@code /v1} route.
 *
 * <p>Model names: a served name or alias means that model. Any other name (clients send
 * {@code text-embedding-3-small} by default) is served by the one model that can do the task when
 * there is exactly one, as text-embeddings-inference does; with several it is refused with a 404
 * naming them, so a typo never silently picks one.
 */
final class OpenAiRoutes {

    private final ServedModels models;
    private final int maxInputs;
    private final long createdEpochSeconds;
    private final TeiOptions embedding;

    /**
     * @param createdEpochSeconds what {@code created} reports for every model (when the server loaded them)
     */
    OpenAiRoutes(ServedModels models, int maxInputs, long createdEpochSeconds, TeiOptions embedding) {
        this.models = models;
        this.maxInputs = maxInputs;
        this.createdEpochSeconds = createdEpochSeconds;
        this.embedding = embedding;
    }

    /** Whether a path is under OpenAI's {@code /v1}, whose errors take OpenAI's shape. */
    static boolean owns(String path) {
        return path != null && (path.equals("/v1") || path.startsWith("/v1/"));
    }

    /**
     * The model a {@code /v1} request names for {@code task}: by name or alias; else the only model
     * of that task; else 404 naming the served models.
     */
    ServedModel resolve(String requested, Task task) {
        if (requested != null) {
            var named = models.find(requested);
            if (named.isPresent()) {
                return ServedModels.requireTask(named.get(), task);   // WRONG_TASK when it cannot do this
            }
            List<ServedModel> able = models.all().stream().filter(m -> m.info().task() == task).toList();
            if (able.size() == 1) {
                return able.get(0);
            }
            throw new ApiException(ApiError.NOT_FOUND, "The model '" + Echo.of(requested) + "' does not exist; "
                    + (able.isEmpty() ? "no " + noun(task) + " is served" : "this server has several "
                    + noun(task) + "s, name one of: " + names(able)) + " (served models: " + models.names() + ")");
        }
        return models.resolve(null, task);
    }

    /** A validated {@code /v1/embeddings} body (the model aside); {@code dimensions} null when not given. */
    record EmbeddingsBody(TextsOrIds input, boolean base64, Integer dimensions, LongTextMode longText) {
        static EmbeddingsBody parse(JsonNode body, int maxInputs) {
            JsonInput.string(body, "user");   // accepted, as OpenAI's abuse-monitoring id; nothing to do with it here
            TextsOrIds input = TextsOrIds.parse(body, "input", maxInputs);
            String format = JsonInput.string(body, "encoding_format");
            boolean base64;
            if (format == null || format.equals("float")) {
                base64 = false;
            } else if (format.equals("base64")) {
                base64 = true;
            } else {
                throw new ApiException(ApiError.VALIDATION, "'encoding_format' must be float or base64, not '"
                        + Echo.of(format) + "'");
            }
            return new EmbeddingsBody(input, base64, JsonInput.integer(body, "dimensions", 1), JsonInput.longText(body));
        }
    }

    /**
     * {@code POST /v1/embeddings {"input": str|[str]|[int]|[[int]], "model", "encoding_format"?: "float"|"base64",
     * "dimensions"?, "user"?, "long_text"?}} -> {@code {"object": "list", "data": [{"object": "embedding", "index",
     * "embedding", "windows"?}], "model", "usage"}}. Vectors are unit length, as OpenAI's are. With
     * {@code long_text: chunk} each item also says how many windows its text ran as (an extra field,
     * which OpenAI's SDKs keep as an additional property).
     */
    Pending embeddings(JsonNode body, RequestScope scope) {
        ServedModel served = resolve(JsonInput.string(body, "model"), Task.EMBEDDING);
        String model = served.name();
        scope.model(model);
        EmbeddingsBody parsed = EmbeddingsBody.parse(body, maxInputs);
        // No prompt_name in OpenAI's API; the server's or the model's default prompt still applies.
        String prompt = embedding.prompt(served, null);
        EmbedInputs inputs = EmbedInputs.of(parsed.input(), "input", maxInputs, served, prompt);
        List<String> texts = embedding.prompted(served, null, inputs.texts());
        boolean base64 = parsed.base64();
        int dimensions = embedding.dimensions(served, parsed.dimensions());
        // OpenAI's vectors are unit length: normalize is this wire format's fixed choice, not a default.
        ResolvedRequest request = scope.request(served, texts, parsed.longText(), true);
        boolean windows = request.options().longText() == LongTextMode.CHUNK;
        int size = JsonOutput.vectorsSize(texts.size(), served.info().dimension(), 160 + 64 * texts.size());
        return Pending.of(request.withOptions(request.options().withTokenization(TruncationDirection.RIGHT,
                inputs.addSpecialTokens())), result ->
                JsonOutput.write(size, g -> {
                    g.writeStartObject();
                    g.writeStringField("object", "list");
                    g.writeArrayFieldStart("data");
                    for (int i = 0; i < result.texts().size(); i++) {
                        float[] v = TeiOptions.cut(result.texts().get(i).values(), dimensions, true);
                        g.writeStartObject();
                        g.writeStringField("object", "embedding");
                        g.writeNumberField("index", i);
                        g.writeFieldName("embedding");
                        if (base64) {
                            g.writeString(base64(v));
                        } else {
                            JsonOutput.floats(g, v);
                        }
                        if (windows) {
                            g.writeNumberField("windows", result.texts().get(i).windows());
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeStringField("model", result.model().name());
                    g.writeObjectFieldStart("usage");
                    g.writeNumberField("prompt_tokens", result.promptTokens());
                    g.writeNumberField("total_tokens", result.promptTokens());
                    g.writeEndObject();
                    g.writeEndObject();
                }));
    }

    /** {@code GET /v1/models}: every served model, in OpenAI's list shape. */
    Buffer list() {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (ServedModel m : models.all()) {
                model(g, m.name());
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** {@code GET /v1/models/{id}}: the model of that name or alias (no fallback: this is a lookup). */
    Buffer retrieve(String id) {
        ServedModel m = models.find(id).orElseThrow(() -> new ApiException(ApiError.NOT_FOUND, "The model '"
                + Echo.of(id) + "' does not exist (served models: " + models.names() + ")"));
        return JsonOutput.write(g -> model(g, m.name()));
    }

    private void model(JsonGenerator g, String id) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "model");
        g.writeNumberField("created", createdEpochSeconds);
        g.writeStringField("owned_by", "peregrine");
        g.writeEndObject();
    }

    /** The status a {@code /v1} client gets: OpenAI answers every invalid request 400, never 422. */
    static int status(ApiException e) {
        return e.error() == ApiError.VALIDATION ? 400 : e.error().status();
    }

    /** OpenAI's error body: {@code {"error": {"message", "type", "param", "code"}}}. */
    static Buffer error(ApiException e) {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", e.getMessage());
            g.writeStringField("type", type(e.error()));
            g.writeNullField("param");
            g.writeStringField("code", code(e.error()));
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static String type(ApiError error) {
        return switch (error) {
            case UNAUTHORIZED -> "authentication_error";
            case OVERLOADED -> "rate_limit_error";
            case BACKEND, INTERNAL, UNHEALTHY, TIMEOUT -> "server_error";
            default -> "invalid_request_error";
        };
    }

    private static String code(ApiError error) {
        return switch (error) {
            case UNAUTHORIZED -> "invalid_api_key";
            case OVERLOADED -> "rate_limit_exceeded";
            // The rest by our own error type, in OpenAI's snake case: "not_found", "payload_too_large", ...
            default -> error.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String noun(Task task) {
        return task == Task.EMBEDDING ? "embedding model" : "classifier";
    }

    private static String names(List<ServedModel> models) {
        return models.stream().map(ServedModel::name).collect(Collectors.joining(", "));
    }

    /** OpenAI's base64 format: the float32 values, little-endian, base64-encoded. */
    static String base64(float[] v) {
        ByteBuffer bytes = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            bytes.putFloat(x);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
