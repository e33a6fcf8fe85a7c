package dev.peregrine.core.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The serving settings a model folder recommends, stored as {@code peregrine.json} beside the
 * model: written by {@code peregrine optimize} after it measured what runs fastest, read by
 * {@code serve} and the other commands as their defaults (explicit flags still win). Every field is
 * optional; null means "no recommendation".
 *
 * @param variant           ONNX variant to load (file name without .onnx)
 * @param optimizedModel    a graph ONNX Runtime already optimized (loaded with optimization off)
 * @param graphOptimization ONNX Runtime level (none, basic, extended, all)
 * @param threads           intra-op threads per instance
 * @param instances         sessions (workers) per model
 * @param maxBatchSize      texts per forward pass
 * @param maxBatchTokens    padded tokens per forward pass
 * @param allowSpinning     ONNX Runtime thread spinning
 * @param notes             free-form facts about how the choice was made (measurements, fidelity)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ServingHints(
        @JsonProperty("variant") String variant,
        @JsonProperty("optimized_model") String optimizedModel,
        @JsonProperty("graph_optimization") String graphOptimization,
        @JsonProperty("threads") Integer threads,
        @JsonProperty("instances") Integer instances,
        @JsonProperty("max_batch_size") Integer maxBatchSize,
        @JsonProperty("max_batch_tokens") Integer maxBatchTokens,
        @JsonProperty("allow_spinning") Boolean allowSpinning,
        @JsonProperty("notes") Map<String, Object> notes) {

    /** The file name inside a model folder. */
    public static final String FILE_NAME = "peregrine.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ServingHints {
        requirePositive("threads", threads);
        requirePositive("instances", instances);
        requirePositive("max_batch_size", maxBatchSize);
        requirePositive("max_batch_tokens", maxBatchTokens);
        notes = notes == null ? null : Map.copyOf(notes);
    }

    private static void requirePositive(String name, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(FILE_NAME + ": " + name + " must be at least 1, was " + value);
        }
    }

    /** The hints of a model folder, if it has a {@code peregrine.json}. */
    public static Optional<ServingHints> read(Path folder) {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), ServingHints.class));
        } catch (IOException | IllegalArgumentException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    file + " is not a valid serving config: " + ModelConfig.firstLine(e.getMessage()), e);
        }
    }

    /** Writes {@code peregrine.json} into {@code folder}. */
    public void write(Path folder) throws IOException {
        JSON.writeValue(folder.resolve(FILE_NAME).toFile(), this);
    }
}
