package dev.peregrine.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How an embedding model wants its texts and vectors used, as its folder declares it.
 *
 * <ul>
 *   <li>{@code prompts}: sentence-transformers' {@code config_sentence_transformers.json}
 *       {@code "prompts"}, e.g. {@code {"query": "query: ", "passage": "passage: "}} for E5, or BGE's
 *       {@code {"query": "Represent this sentence for searching relevant passages: "}}: text put before
 *       each input, chosen by name per request ({@code prompt_name}).</li>
 *   <li>{@code defaultPromptName}: the same file's {@code "default_prompt_name"}, used when a request
 *       names none (null: no prompt).</li>
 *   <li>{@code matryoshkaDimensions}: the sizes the model was trained to be cut to (Matryoshka
 *       representation learning), from {@code "matryoshka_dims"} or {@code "matryoshka_dimensions"} in
 *       {@code config_sentence_transformers.json} or {@code config.json}. Empty: not declared, so a
 *       request for fewer dimensions is refused unless the server allows it.</li>
 * </ul>
 */
public record EmbeddingConfig(Map<String, String> prompts, String defaultPromptName, List<Integer> matryoshkaDimensions) {

    /** Nothing declared. */
    public static final EmbeddingConfig NONE = new EmbeddingConfig(Map.of(), null, List.of());

    public EmbeddingConfig {
        prompts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(prompts));
        matryoshkaDimensions = List.copyOf(matryoshkaDimensions);
        if (defaultPromptName != null && !prompts.containsKey(defaultPromptName)) {
            throw new IllegalArgumentException("default prompt '" + defaultPromptName + "' is not one of the prompts "
                    + prompts.keySet());
        }
        for (int d : matryoshkaDimensions) {
            if (d < 1) {
                throw new IllegalArgumentException("Matryoshka dimensions must be positive, not " + d);
            }
        }
    }

    /** Whether the model declares Matryoshka training. */
    public boolean matryoshka() {
        return !matryoshkaDimensions.isEmpty();
    }

    /**
     * Reads the declarations of a model folder.
     *
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when a file is not valid JSON or declares
     *                            something malformed (a prompt that is not a string, a default prompt not
     *                            among the prompts, a dimension that is not a positive integer)
     */
    public static EmbeddingConfig read(Path folder) {
        Optional<JsonNode> st = ModelConfig.readJson(folder.resolve("config_sentence_transformers.json"));
        Optional<JsonNode> config = ModelConfig.readJson(folder.resolve("config.json"));
        Map<String, String> prompts = new LinkedHashMap<>();
        String defaultName = null;
        if (st.isPresent()) {
            JsonNode p = st.get().path("prompts");
            if (p.isObject()) {
                for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) p::fields) {
                    if (!e.getValue().isTextual()) {
                        throw invalid(folder, "prompt '" + e.getKey() + "' is not a string");
                    }
                    prompts.put(e.getKey(), e.getValue().asText());
                }
            }
            JsonNode d = st.get().path("default_prompt_name");
            if (d.isTextual()) {
                defaultName = d.asText();
                if (!prompts.containsKey(defaultName)) {
                    throw invalid(folder, "default_prompt_name '" + defaultName + "' is not one of the prompts "
                            + prompts.keySet());
                }
            }
        }
        List<Integer> dims = new ArrayList<>();
        for (Optional<JsonNode> file : List.of(st, config)) {
            if (file.isEmpty() || !dims.isEmpty()) {
                continue;
            }
            for (String key : List.of("matryoshka_dims", "matryoshka_dimensions")) {
                JsonNode list = file.get().path(key);
                if (list.isMissingNode() || list.isNull()) {
                    continue;
                }
                if (!list.isArray() || list.isEmpty()) {
                    throw invalid(folder, key + " must be a non-empty list of positive integers");
                }
                for (JsonNode n : list) {
                    if (!n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > Integer.MAX_VALUE) {
                        throw invalid(folder, key + " must be a non-empty list of positive integers, not " + list);
                    }
                    dims.add(n.asInt());
                }
                break;
            }
        }
        return new EmbeddingConfig(prompts, defaultName, dims);
    }

    private static PeregrineException invalid(Path folder, String what) {
        return new PeregrineException(ErrorKind.MODEL_INVALID, "the sentence-transformers configuration of "
                + Objects.toString(folder) + " is malformed: " + what);
    }
}
