package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.Task;
import dev.peregrine.core.model.EmbeddingConfig;
import dev.peregrine.core.tokenize.TruncationDirection;
import dev.peregrine.server.EmbeddingsConfig;
import dev.peregrine.server.inference.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedding options text-embeddings-inference and OpenAI add to a request, decided in one place
 * for every route: which prompt goes before the texts ({@code prompt_name}, the server's default,
 * the model's declared default), whether {@code dimensions} may cut a model's vectors (Matryoshka
 * models, or when the server allows any), and {@code truncation_direction}. Immutable.
 */
final class TeiOptions {

    private final EmbeddingsConfig config;

    /**
     * @throws IllegalArgumentException when the default prompt name is not declared by every served
     *                                  embedder, or a {@code --matryoshka} name is not a served embedder
     */
    TeiOptions(EmbeddingsConfig config, List<ServedModel> models) {
        this.config = config;
        List<ServedModel> embedders = models.stream().filter(m -> m.info().task() == Task.EMBEDDING).toList();
        if (config.defaultPromptName() != null) {
            for (ServedModel m : embedders) {
                if (!m.info().embedding().prompts().containsKey(config.defaultPromptName())) {
                    throw new IllegalArgumentException("--default-prompt-name '" + config.defaultPromptName()
                            + "': model '" + m.name() + "' declares " + promptList(m.info().embedding()));
                }
            }
        }
        for (String name : config.matryoshkaModels()) {
            if (embedders.stream().noneMatch(m -> m.answersTo(name))) {
                throw new IllegalArgumentException("--matryoshka '" + name + "' is not a served embedding model (served: "
                        + String.join(", ", models.stream().map(ServedModel::name).toList()) + ")");
            }
        }
    }

    /**
     * The prompt put before each text: the one the request names, else the server's default prompt
     * (text, or a name), else the model's own {@code default_prompt_name}; null for none. Classifiers
     * take no prompt.
     *
     * @throws ApiException VALIDATION when the request names a prompt the model does not declare
     */
    String prompt(ServedModel model, String promptName) {
        EmbeddingConfig declared = model.info().embedding();
        if (promptName != null) {
            if (model.info().task() != Task.EMBEDDING) {
                throw new ApiException(ApiError.VALIDATION, "'prompt_name' applies to embedding models; model '"
                        + model.name() + "' is a classifier");
            }
            String prompt = declared.prompts().get(promptName);
            if (prompt == null) {
                throw new ApiException(ApiError.VALIDATION, "model '" + model.name() + "' has no prompt named '"
                        + Echo.of(promptName) + "'; it declares " + promptList(declared));
            }
            return prompt;
        }
        if (model.info().task() != Task.EMBEDDING) {
            return null;
        }
        if (config.defaultPrompt() != null) {
            return config.defaultPrompt();
        }
        String name = config.defaultPromptName() != null ? config.defaultPromptName() : declared.defaultPromptName();
        return name == null ? null : declared.prompts().get(name);
    }

    /** The texts with {@link #prompt} before each (the same list when there is none). */
    List<String> prompted(ServedModel model, String promptName, List<String> texts) {
        String prompt = prompt(model, promptName);
        if (prompt == null) {
            return texts;
        }
        List<String> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(prompt + t);
        }
        return out;
    }

    /**
     * Checks a request's {@code dimensions} against the model: at most its width, and fewer only for a
     * model trained to be cut (Matryoshka, declared by its folder or {@code --matryoshka}) or when the
     * server allows any.
     *
     * @return the dimensions to cut to, or 0 to keep the vectors whole
     * @throws ApiException VALIDATION saying what the model allows
     */
    int dimensions(ServedModel model, Integer requested) {
        if (requested == null) {
            return 0;
        }
        int width = model.info().dimension();
        if (requested > width) {
            throw new ApiException(ApiError.VALIDATION, "model '" + model.name() + "' produces " + width
                    + "-dimensional embeddings; 'dimensions' " + requested + " is more than that");
        }
        if (requested == width) {
            return 0;
        }
        boolean matryoshka = model.info().embedding().matryoshka()
                || config.matryoshkaModels().stream().anyMatch(model::answersTo);
        if (!matryoshka && !config.allowAnyDimensions()) {
            throw new ApiException(ApiError.VALIDATION, "model '" + model.name() + "' produces " + width
                    + "-dimensional embeddings and was not trained to be cut shorter (Matryoshka): its folder declares "
                    + "no matryoshka_dims, so 'dimensions' " + requested + " is refused. If it was trained so, serve with "
                    + "--matryoshka " + model.name() + "; to cut it anyway, --allow-any-dimensions");
        }
        return requested;
    }

    /**
     * A vector cut to its first {@code dimensions} values, rescaled to unit length when
     * {@code normalize} (as Matryoshka models are used); the vector itself when {@code dimensions} is 0.
     */
    static float[] cut(float[] vector, int dimensions, boolean normalize) {
        if (dimensions == 0) {
            return vector;
        }
        float[] out = java.util.Arrays.copyOf(vector, dimensions);
        if (normalize) {
            double sum = 0;
            for (float x : out) {
                sum += (double) x * x;
            }
            if (sum > 0) {
                float scale = (float) (1 / Math.sqrt(sum));
                for (int i = 0; i < out.length; i++) {
                    out[i] *= scale;
                }
            }
        }
        return out;
    }

    /** {@code truncation_direction}: {@code left} or {@code right} (the default), in any case. */
    static TruncationDirection direction(JsonNode body) {
        String value = JsonInput.string(body, "truncation_direction");
        if (value == null) {
            return TruncationDirection.RIGHT;
        }
        try {
            return TruncationDirection.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiError.VALIDATION, "'truncation_direction' must be left or right, not '"
                    + Echo.of(value) + "'");
        }
    }

    private static String promptList(EmbeddingConfig declared) {
        return declared.prompts().isEmpty()
                ? "no prompts (config_sentence_transformers.json has no \"prompts\")"
                : "the prompts " + String.join(", ", declared.prompts().keySet());
    }
}
