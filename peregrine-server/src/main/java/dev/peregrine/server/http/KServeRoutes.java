package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.ServedModel;
import dev.peregrine.server.inference.ServedModels;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The KServe Open Inference Protocol v2 over HTTP (Triton's protocol): server and model metadata
 * and {@code infer} with one BYTES input of texts. Embedders answer an FP32 {@code embedding}
 * output [N, dim]; classifiers an FP32 {@code probabilities} output [N, classes] and a BYTES
 * {@code label} output [N]. Request parameters {@code long_text}, {@code truncate} and
 * {@code normalize} are honoured; with {@code long_text: chunk} an INT32 {@code windows} output [N]
 * says how many windows each text ran as (it can also be asked for by name).
 */
final class KServeRoutes {

    static final String INPUT = "text";
    static final String EMBEDDING = "embedding";
    static final String PROBABILITIES = "probabilities";
    static final String LABEL = "label";
    static final String WINDOWS = "windows";

    private final ServedModels models;
    private final int maxInputs;
    private final String version;

    KServeRoutes(ServedModels models, int maxInputs, String version) {
        this.models = models;
        this.maxInputs = maxInputs;
        this.version = version;
    }

    /** {@code GET /v2}. */
    Buffer serverMetadata() {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("name", "peregrine");
            g.writeStringField("version", version);
            g.writeArrayFieldStart("extensions");
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** The served model of that name or alias. */
    ServedModel model(String name) {
        return models.find(name).orElseThrow(() -> new PeregrineException(ErrorKind.MODEL_NOT_FOUND,
                "no model named '" + Echo.of(name) + "' is served"));
    }

    /** {@code GET /v2/models/{name}}. */
    Buffer modelMetadata(ServedModel m) {
        ModelInfo info = m.info();
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeStringField("platform", "onnxruntime_onnx");
            g.writeArrayFieldStart("inputs");
            tensor(g, INPUT, "BYTES", -1);
            g.writeEndArray();
            g.writeArrayFieldStart("outputs");
            if (info.task() == Task.EMBEDDING) {
                tensor(g, EMBEDDING, "FP32", -1, info.dimension());
            } else {
                tensor(g, PROBABILITIES, "FP32", -1, info.dimension());
                tensor(g, LABEL, "BYTES", -1);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void tensor(JsonGenerator g, String name, String datatype, long... shape) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("datatype", datatype);
        g.writeArrayFieldStart("shape");
        for (long d : shape) {
            g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /**
     * A validated KServe v2 {@code infer} body: one BYTES input named {@value #INPUT} whose shape
     * holds exactly its texts; {@code outputs} empty for all; parameters null when not given.
     */
    record InferBody(String id, List<String> texts, Set<String> outputs, LongTextMode longText, Boolean normalize) {
        static InferBody parse(JsonNode body, int maxInputs) {
            String id = JsonInput.string(body, "id");
            JsonNode inputs = body.get("inputs");
            if (inputs == null || !inputs.isArray()) {
                throw new ApiException(ApiError.VALIDATION, "'inputs' must be a list of input tensors");
            }
            if (inputs.size() != 1) {
                throw new ApiException(ApiError.VALIDATION, "the model takes exactly one input ('" + INPUT
                        + "', BYTES), got " + inputs.size());
            }
            JsonNode input = inputs.get(0);
            if (!input.isObject()) {
                throw new ApiException(ApiError.VALIDATION, "'inputs[0]' must be an object");
            }
            String name = JsonInput.string(input, "name");
            if (!INPUT.equals(name)) {
                throw new ApiException(ApiError.VALIDATION, "unknown input " + (name == null ? "(no name)"
                        : "'" + Echo.of(name) + "'") + "; the model's input is '" + INPUT + "' (BYTES)");
            }
            String datatype = JsonInput.string(input, "datatype");
            if (!"BYTES".equals(datatype)) {
                throw new ApiException(ApiError.VALIDATION, "input datatype must be BYTES (texts), not " + Echo.of(datatype));
            }
            JsonNode data = input.get("data");
            if (data == null || !data.isArray()) {
                throw new ApiException(ApiError.VALIDATION, "'inputs[0].data' must be a list of strings");
            }
            // The shape first: it bounds how many texts may be read out of the data.
            long elements = shapeElements(input.get("shape"));
            if (elements > maxInputs) {
                throw new ApiException(ApiError.VALIDATION, "input shape holds " + elements
                        + " texts, more than the limit of " + maxInputs + " per request");
            }
            List<String> texts = new ArrayList<>();
            flatten(data, texts, 0);
            if (elements != texts.size()) {
                throw new ApiException(ApiError.VALIDATION, "input shape holds " + elements + " elements but data has "
                        + texts.size());
            }
            JsonInput.checkTexts(texts, "inputs[0].data", maxInputs);
            Set<String> wanted = new LinkedHashSet<>();
            JsonNode outputs = body.get("outputs");
            if (outputs != null && !outputs.isNull()) {
                if (!outputs.isArray()) {
                    throw new ApiException(ApiError.VALIDATION, "'outputs' must be a list");
                }
                for (JsonNode o : outputs) {
                    String output = o.isObject() ? JsonInput.string(o, "name") : null;
                    if (output == null) {
                        throw new ApiException(ApiError.VALIDATION, "every requested output needs a 'name'");
                    }
                    wanted.add(output);
                }
            }
            JsonNode parameters = body.get("parameters");
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw new ApiException(ApiError.VALIDATION, "'parameters' must be an object");
            }
            boolean params = parameters != null && parameters.isObject();
            return new InferBody(id, texts, wanted, params ? JsonInput.longText(parameters) : null,
                    params ? JsonInput.bool(parameters, "normalize") : null);
        }
    }

    /** {@code POST /v2/models/{name}/infer}. */
    Pending infer(JsonNode json, RequestScope scope) {
        ServedModel m = model(scope.pathParam("name"));
        scope.model(m.name());
        InferBody body = InferBody.parse(json, maxInputs);
        String id = body.id();
        List<String> texts = body.texts();
        Task task = m.info().task();
        Set<String> known = task == Task.EMBEDDING ? Set.of(EMBEDDING) : new LinkedHashSet<>(List.of(PROBABILITIES, LABEL));
        for (String name : body.outputs()) {
            if (!known.contains(name) && !name.equals(WINDOWS)) {
                throw new ApiException(ApiError.VALIDATION, "unknown output '" + Echo.of(name) + "'; model '" + m.name()
                        + "' has " + known);
            }
        }
        Set<String> wanted = body.outputs().isEmpty() ? known : body.outputs();
        int n = texts.size();
        List<String> labels = m.info().labels();
        int size = JsonOutput.vectorsSize(n, m.info().dimension(), 256 + (task == Task.EMBEDDING ? 0 : 32 * n));
        ResolvedRequest request = scope.request(m, texts, body.longText(), body.normalize());
        boolean windows = body.outputs().isEmpty() ? request.options().longText() == LongTextMode.CHUNK
                : body.outputs().contains(WINDOWS);
        return Pending.of(request, result ->
                JsonOutput.write(size, g -> {
                    start(g, m.name(), id);
                    if (task == Task.EMBEDDING) {
                        int dim = result.texts().get(0).values().length;
                        outputStart(g, EMBEDDING, "FP32", n, dim);
                        for (TextResult r : result.texts()) {
                            JsonOutput.floatElements(g, r.values());
                        }
                        outputEnd(g);
                    }
                    if (task != Task.EMBEDDING && wanted.contains(PROBABILITIES)) {
                        outputStart(g, PROBABILITIES, "FP32", n, m.info().dimension());
                        for (TextResult r : result.texts()) {
                            JsonOutput.floatElements(g, r.values());
                        }
                        outputEnd(g);
                    }
                    if (task != Task.EMBEDDING && wanted.contains(LABEL)) {
                        outputStart(g, LABEL, "BYTES", n);
                        for (TextResult r : result.texts()) {
                            g.writeString(r.classification(labels).label());
                        }
                        outputEnd(g);
                    }
                    if (windows) {
                        outputStart(g, WINDOWS, "INT32", n);
                        for (TextResult r : result.texts()) {
                            g.writeNumber(r.windows());
                        }
                        outputEnd(g);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }));
    }

    private static void start(JsonGenerator g, String model, String id) throws IOException {
        g.writeStartObject();
        g.writeStringField("model_name", model);
        if (id != null) {
            g.writeStringField("id", id);
        }
        g.writeArrayFieldStart("outputs");
    }

    private static void outputStart(JsonGenerator g, String name, String datatype, long... shape) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("datatype", datatype);
        g.writeArrayFieldStart("shape");
        for (long d : shape) {
            g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data");
    }

    private static void outputEnd(JsonGenerator g) throws IOException {
        g.writeEndArray();
        g.writeEndObject();
    }

    /** Texts in row-major order, whether given flat or nested (at most as deep as a shape may be). */
    private static void flatten(JsonNode data, List<String> out, int depth) {
        if (depth > MAX_RANK) {
            throw new ApiException(ApiError.VALIDATION, "BYTES data is nested deeper than " + MAX_RANK + " levels");
        }
        for (JsonNode item : data) {
            if (item.isArray()) {
                flatten(item, out, depth + 1);
            } else if (item.isTextual()) {
                out.add(item.asText());
            } else {
                throw new ApiException(ApiError.VALIDATION, "BYTES data must hold strings, found " + JsonInput.kind(item));
            }
        }
    }

    /** Most dimensions a shape may have. */
    static final int MAX_RANK = 8;

    /** The element count of a shape, checked without overflow: every dimension a non-negative long. */
    private static long shapeElements(JsonNode shape) {
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs[0].shape' must be a non-empty list of dimensions");
        }
        if (shape.size() > MAX_RANK) {
            throw new ApiException(ApiError.VALIDATION, "'inputs[0].shape' has " + shape.size()
                    + " dimensions, more than " + MAX_RANK);
        }
        long product = 1;
        for (JsonNode d : shape) {
            // canConvertToLong: 18446744073709551617 must not wrap around to 1.
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new ApiException(ApiError.VALIDATION, "shape dimensions must be non-negative integers that fit "
                        + "in 64 bits, not " + Echo.of(d.toString()));
            }
            try {
                product = Math.multiplyExact(product, d.asLong());
            } catch (ArithmeticException e) {
                throw new ApiException(ApiError.VALIDATION, "the input shape holds more elements than fit in 64 bits");
            }
        }
        return product;
    }
}
