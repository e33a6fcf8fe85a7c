package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.server.inference.InferenceService;
import dev.peregrine.server.inference.ServedModel;
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
 * {@code label} output [N]. Request parameters {@code truncate} and {@code normalize} are honoured.
 */
final class KServeRoutes {

    static final String INPUT = "text";
    static final String EMBEDDING = "embedding";
    static final String PROBABILITIES = "probabilities";
    static final String LABEL = "label";

    private final InferenceService service;
    private final int maxInputs;
    private final String version;

    KServeRoutes(InferenceService service, int maxInputs, String version) {
        this.service = service;
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
        for (ServedModel m : service.models()) {
            if (m.answersTo(name)) {
                return m;
            }
        }
        throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model named '" + name + "' is served");
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

    /** {@code POST /v2/models/{name}/infer}. */
    Pending infer(JsonNode body, RequestScope scope) {
        ServedModel m = model(scope.pathParam("name"));
        scope.model(m.name());
        String id = JsonInput.string(body, "id");
        JsonNode inputs = body.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs' must be a list of input tensors");
        }
        if (inputs.size() != 1) {
            throw new ApiException(ApiError.VALIDATION, "model '" + m.name() + "' takes exactly one input ('"
                    + INPUT + "', BYTES), got " + inputs.size());
        }
        JsonNode input = inputs.get(0);
        if (!input.isObject()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs[0]' must be an object");
        }
        String datatype = JsonInput.string(input, "datatype");
        if (!"BYTES".equals(datatype)) {
            throw new ApiException(ApiError.VALIDATION, "input datatype must be BYTES (texts), not " + datatype);
        }
        JsonNode data = input.get("data");
        if (data == null || !data.isArray()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs[0].data' must be a list of strings");
        }
        List<String> texts = new ArrayList<>();
        flatten(data, texts);
        long elements = shapeElements(input.get("shape"));
        if (elements != texts.size()) {
            throw new ApiException(ApiError.VALIDATION, "input shape holds " + elements + " elements but data has "
                    + texts.size());
        }
        JsonInput.checkTexts(texts, "inputs[0].data", maxInputs);

        Task task = m.info().task();
        Set<String> known = task == Task.EMBEDDING ? Set.of(EMBEDDING) : new LinkedHashSet<>(List.of(PROBABILITIES, LABEL));
        Set<String> wanted = new LinkedHashSet<>();
        JsonNode outputs = body.get("outputs");
        if (outputs != null && !outputs.isNull()) {
            if (!outputs.isArray()) {
                throw new ApiException(ApiError.VALIDATION, "'outputs' must be a list");
            }
            for (JsonNode o : outputs) {
                String name = o.isObject() ? JsonInput.string(o, "name") : null;
                if (name == null || !known.contains(name)) {
                    throw new ApiException(ApiError.VALIDATION, "unknown output " + (name == null ? "(no name)" : "'" + name + "'")
                            + "; model '" + m.name() + "' has " + known);
                }
                wanted.add(name);
            }
        }
        if (wanted.isEmpty()) {
            wanted.addAll(known);
        }
        JsonNode parameters = body.get("parameters");
        Boolean truncate = parameters != null && parameters.isObject() ? JsonInput.bool(parameters, "truncate") : null;
        Boolean normalize = parameters != null && parameters.isObject() ? JsonInput.bool(parameters, "normalize") : null;
        int n = texts.size();
        if (task == Task.EMBEDDING) {
            return Pending.of(service.embed(m.name(), texts, scope.options(truncate, normalize)), result -> new Reply(result.model(),
                    JsonOutput.write(g -> {
                        start(g, m.name(), id);
                        int dim = result.vectors().get(0).length;
                        outputStart(g, EMBEDDING, "FP32", n, dim);
                        for (float[] v : result.vectors()) {
                            for (float x : v) {
                                g.writeNumber(x);
                            }
                        }
                        outputEnd(g);
                        g.writeEndArray();
                        g.writeEndObject();
                    }), result.timings(), result.promptTokens()));
        }
        return Pending.of(service.classify(m.name(), texts, scope.options(truncate, null)), result -> new Reply(result.model(),
                JsonOutput.write(g -> {
                    start(g, m.name(), id);
                    if (wanted.contains(PROBABILITIES)) {
                        outputStart(g, PROBABILITIES, "FP32", n, m.info().dimension());
                        for (Classification c : result.predictions()) {
                            for (float p : c.probabilities()) {
                                g.writeNumber(p);
                            }
                        }
                        outputEnd(g);
                    }
                    if (wanted.contains(LABEL)) {
                        outputStart(g, LABEL, "BYTES", n);
                        for (Classification c : result.predictions()) {
                            g.writeString(c.label());
                        }
                        outputEnd(g);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }), result.timings(), result.promptTokens()));
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

    /** Texts in row-major order, whether given flat or nested. */
    private static void flatten(JsonNode data, List<String> out) {
        for (JsonNode item : data) {
            if (item.isArray()) {
                flatten(item, out);
            } else if (item.isTextual()) {
                out.add(item.asText());
            } else {
                throw new ApiException(ApiError.VALIDATION, "BYTES data must hold strings, found " + JsonInput.kind(item));
            }
        }
    }

    private static long shapeElements(JsonNode shape) {
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw new ApiException(ApiError.VALIDATION, "'inputs[0].shape' must be a non-empty list of dimensions");
        }
        long product = 1;
        for (JsonNode d : shape) {
            if (!d.isIntegralNumber() || d.asLong() < 0) {
                throw new ApiException(ApiError.VALIDATION, "shape dimensions must be non-negative integers");
            }
            try {
                product = Math.multiplyExact(product, d.asLong());
            } catch (ArithmeticException e) {
                throw new ApiException(ApiError.VALIDATION, "the input shape is too large");
            }
        }
        return product;
    }
}
