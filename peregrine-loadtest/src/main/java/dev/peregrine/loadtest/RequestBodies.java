package dev.peregrine.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The JSON body each route expects for a list of texts. */
final class RequestBodies {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RequestBodies() {
    }

    static String forPath(String path, List<String> texts, String model) {
        ObjectNode body = JSON.createObjectNode();
        if (path.endsWith("/infer")) {
            ArrayNode inputs = body.putArray("inputs");
            ObjectNode input = inputs.addObject();
            input.put("name", "text");
            input.putArray("shape").add(texts.size());
            input.put("datatype", "BYTES");
            ArrayNode data = input.putArray("data");
            texts.forEach(data::add);
            return body.toString();
        }
        String field = path.endsWith("/classify") ? "texts" : path.endsWith("/embeddings") ? "input" : "inputs";
        ArrayNode array = body.putArray(field);
        texts.forEach(array::add);
        if (model != null) {
            body.put("model", model);
        }
        return body.toString();
    }
}
