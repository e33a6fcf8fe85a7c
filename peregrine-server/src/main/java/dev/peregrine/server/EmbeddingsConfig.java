package dev.peregrine.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Server-wide choices about embedding requests: the prompt put before texts that name none
 * (text-embeddings-inference's {@code --default-prompt-name} and {@code --default-prompt}), and which
 * models may be asked for fewer {@code dimensions} than they produce.
 *
 * @param defaultPromptName  a prompt every served embedder declares, used when a request names none;
 *                           null for none
 * @param defaultPrompt      text put before every text when a request names no prompt; null for none
 *                           (exclusive with {@code defaultPromptName})
 * @param matryoshkaModels   models (served names) to treat as trained for shorter embeddings even though
 *                           their folder does not declare it
 * @param allowAnyDimensions cut any embedder's vectors to the {@code dimensions} asked, trained for it or not
 */
public record EmbeddingsConfig(String defaultPromptName, String defaultPrompt, Set<String> matryoshkaModels,
                               boolean allowAnyDimensions) {

    public EmbeddingsConfig {
        if (defaultPromptName != null && defaultPromptName.isBlank()) {
            defaultPromptName = null;
        }
        if (defaultPrompt != null && defaultPrompt.isEmpty()) {
            defaultPrompt = null;
        }
        if (defaultPromptName != null && defaultPrompt != null) {
            throw new IllegalArgumentException("--default-prompt-name and --default-prompt are exclusive: give one");
        }
        matryoshkaModels = Set.copyOf(Objects.requireNonNull(matryoshkaModels, "matryoshkaModels"));
    }

    /** No default prompt; only models that declare Matryoshka training take {@code dimensions}. */
    public static EmbeddingsConfig defaults() {
        return new EmbeddingsConfig(null, null, Set.of(), false);
    }

    /** For the start-up log. */
    public String describe() {
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("default-prompt-name", defaultPromptName == null ? "-" : defaultPromptName);
        parts.put("default-prompt", defaultPrompt == null ? "-" : "'" + defaultPrompt + "'");
        parts.put("matryoshka", matryoshkaModels.isEmpty() ? "(as declared)" : matryoshkaModels.toString());
        parts.put("allow-any-dimensions", Boolean.toString(allowAnyDimensions));
        return parts.toString();
    }
}
