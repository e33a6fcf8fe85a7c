package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A request's inputs as sent: texts, or lists of token ids (OpenAI's pre-tokenized {@code input},
 * text-embeddings-inference's {@code inputs} as ids). Exactly one of the two is non-empty. Parsing is
 * pure; what the ids mean is {@link EmbedInputs}'s business, with the model's tokenizer.
 *
 * @param texts the texts, or empty
 * @param ids   the id lists, or empty
 * @param flat  the ids were one flat list ({@code [101, 102]}) rather than a list of lists
 */
record TextsOrIds(List<String> texts, List<long[]> ids, boolean flat) {

    TextsOrIds {
        texts = List.copyOf(texts);
        ids = List.copyOf(ids);
        if (texts.isEmpty() == ids.isEmpty()) {
            throw new IllegalArgumentException("exactly one of texts and ids is given");
        }
    }

    /**
     * @throws ApiException EMPTY or VALIDATION naming the field and the position
     */
    static TextsOrIds parse(JsonNode body, String field, int maxInputs) {
        JsonNode node = body.get(field);
        if (TokenIds.present(node)) {
            return new TextsOrIds(List.of(), TokenIds.lists(body, field, maxInputs), !node.get(0).isArray());
        }
        return new TextsOrIds(JsonInput.texts(body, field, maxInputs), List.of(), false);
    }

    /** How many inputs: texts or id lists. */
    int size() {
        return texts.isEmpty() ? ids.size() : texts.size();
    }
}
