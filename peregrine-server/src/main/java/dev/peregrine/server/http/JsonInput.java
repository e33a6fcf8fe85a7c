package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Texts;
import dev.peregrine.core.engine.LongTextMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reading request bodies with a typed error for every way they can be wrong. */
final class JsonInput {

    /**
     * Strict: a duplicated key or anything after the JSON value ({@code {"inputs":["a"]}xyz}) is a
     * malformed body, not something to guess about.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonInput() {
    }

    /** Parses a body that must be a JSON object. */
    static JsonNode object(byte[] body) {
        return object(body == null ? RequestBody.Bytes.EMPTY : RequestBody.Bytes.of(body));
    }

    /** Parses a body that must be a JSON object, straight from the bytes received. */
    static JsonNode object(RequestBody.Bytes body) {
        if (body.length() == 0) {
            throw new ApiException(ApiError.MALFORMED, "the request has no body; send a JSON object");
        }
        JsonNode node;
        try {
            node = JSON.readTree(body.array(), body.offset(), body.length());
        } catch (JsonProcessingException e) {
            throw new ApiException(ApiError.MALFORMED, "malformed JSON: " + Echo.of(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ApiException(ApiError.MALFORMED, "unreadable body: " + Echo.of(e.getMessage()));
        }
        if (node == null || node.isMissingNode()) {
            throw new ApiException(ApiError.MALFORMED, "the request has no body; send a JSON object");
        }
        if (!node.isObject()) {
            throw new ApiException(ApiError.VALIDATION, "the body must be a JSON object, not " + kind(node));
        }
        return node;
    }

    /**
     * A field holding one text or a list of texts.
     *
     * @param maxInputs most texts allowed
     */
    static List<String> texts(JsonNode body, String field, int maxInputs) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            throw new ApiException(ApiError.VALIDATION, "missing field '" + field + "'");
        }
        List<String> texts;
        if (node.isTextual()) {
            texts = List.of(node.asText());
        } else if (node.isArray()) {
            texts = stringArray(node, field);
        } else {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be a string or a list of strings, not "
                    + kind(node));
        }
        return checkTexts(texts, field, maxInputs);
    }

    static List<String> stringArray(JsonNode array, String field) {
        List<String> texts = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode item = array.get(i);
            if (!item.isTextual()) {
                throw new ApiException(ApiError.VALIDATION, "'" + field + "[" + i + "]' must be a string, not " + kind(item));
            }
            texts.add(item.asText());
        }
        return texts;
    }

    static List<String> checkTexts(List<String> texts, String field, int maxInputs) {
        if (texts.isEmpty()) {
            throw new ApiException(ApiError.EMPTY, "'" + field + "' has no texts");
        }
        if (texts.size() > maxInputs) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' has " + texts.size()
                    + " texts, more than the limit of " + maxInputs + " per request");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (Texts.isBlank(texts.get(i))) {
                throw new ApiException(ApiError.EMPTY, (texts.size() == 1 ? "'" + field + "'" : "'" + field + "[" + i + "]'")
                        + " is an empty text (or only whitespace and invisible characters)");
            }
        }
        return texts;
    }

    /** An optional boolean; null when absent or null. */
    static Boolean bool(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be true or false, not " + kind(node));
        }
        return node.asBoolean();
    }

    /** An optional string; null when absent or null. */
    static String string(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be a string, not " + kind(node));
        }
        return node.asText();
    }

    /** An optional integer of at least {@code min}; null when absent or null. */
    static Integer integer(JsonNode body, String field, int min) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be an integer, not " + kind(node));
        }
        if (node.asInt() < min) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be at least " + min + ", was " + node.asInt());
        }
        return node.asInt();
    }

    /**
     * What the request asks for a text longer than the model's limit: {@code long_text}
     * ("truncate", "chunk" or "reject"), else the older boolean {@code truncate}; null when neither
     * is given (the server's default). Both given must agree.
     */
    static LongTextMode longText(JsonNode body) {
        String mode = string(body, "long_text");
        Boolean truncate = bool(body, "truncate");
        if (mode == null) {
            return truncate == null ? null : LongTextMode.ofTruncate(truncate);
        }
        LongTextMode parsed;
        try {
            parsed = LongTextMode.parse(mode);
        } catch (PeregrineException e) {
            throw new ApiException(ApiError.VALIDATION, "'long_text' must be \"truncate\", \"chunk\" or \"reject\", not '"
                    + Echo.of(mode) + "'");
        }
        if (truncate != null && truncate != (parsed == LongTextMode.TRUNCATE)) {
            throw new ApiException(ApiError.VALIDATION, "'truncate': " + truncate + " contradicts 'long_text': \""
                    + parsed.id() + "\"; give long_text alone");
        }
        return parsed;
    }

    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase();
        };
    }
}
