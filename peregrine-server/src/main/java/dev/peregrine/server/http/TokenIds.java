package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Token ids in a request body: one list of ids ({@code [101, 2054, 102]}) or a list of such lists,
 * as text-embeddings-inference's {@code /decode} and OpenAI's pre-tokenized {@code input} send them.
 */
final class TokenIds {

    private TokenIds() {
    }

    /** Whether a field's value is token ids rather than text: a list whose first item is an integer or a list. */
    static boolean present(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            return false;
        }
        JsonNode first = node.get(0);
        return first.isIntegralNumber() || first.isArray();
    }

    /**
     * The id lists of a field, each non-empty, at most {@code maxInputs} of them, each id a non-negative
     * integer (whether it is in the vocabulary is the tokenizer's to say).
     *
     * @throws ApiException EMPTY or VALIDATION naming the field and position
     */
    static List<long[]> lists(JsonNode body, String field, int maxInputs) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            throw new ApiException(ApiError.VALIDATION, "missing field '" + field + "'");
        }
        if (!node.isArray()) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' must be a list of token ids or a list of such "
                    + "lists, not " + JsonInput.kind(node));
        }
        if (node.isEmpty()) {
            throw new ApiException(ApiError.EMPTY, "'" + field + "' has no token ids");
        }
        if (!node.get(0).isArray()) {
            return List.of(ids(node, field));
        }
        if (node.size() > maxInputs) {
            throw new ApiException(ApiError.VALIDATION, "'" + field + "' has " + node.size()
                    + " lists of ids, more than the limit of " + maxInputs + " per request");
        }
        List<long[]> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String where = field + "[" + i + "]";
            if (!item.isArray()) {
                throw new ApiException(ApiError.VALIDATION, "'" + where + "' must be a list of token ids, not "
                        + JsonInput.kind(item));
            }
            if (item.isEmpty()) {
                throw new ApiException(ApiError.EMPTY, "'" + where + "' has no token ids");
            }
            out.add(ids(item, where));
        }
        return out;
    }

    private static long[] ids(JsonNode array, String where) {
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 0 || id.asLong() > Integer.MAX_VALUE) {
                throw new ApiException(ApiError.VALIDATION, "'" + where + "[" + i + "]' must be a token id (an integer "
                        + "from 0), not " + (id.isNumber() ? Echo.of(id.asText()) : JsonInput.kind(id)));
            }
            ids[i] = id.asLong();
        }
        return ids;
    }
}
