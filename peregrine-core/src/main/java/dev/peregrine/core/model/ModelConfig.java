package dev.peregrine.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The facts Peregrine needs from a Hugging Face-style folder's JSON files: labels, maximum length,
 * pooling and normalization. Every field has a sensible default when its file is absent, so a folder
 * with only an ONNX file and tokenizer.json still loads.
 *
 * <p>Sources, in order of precedence for the maximum length: {@code sentence_bert_config.json}
 * ({@code max_seq_length}), {@code tokenizer_config.json} ({@code model_max_length}, when it is a real
 * limit rather than the library's "very large" placeholder), {@code config.json}
 * ({@code max_position_embeddings}, less the two offset positions of RoBERTa-family models).
 *
 * @param modelType     {@code model_type} from config.json, or {@code "unknown"}
 * @param labels        class names in index order (from {@code id2label}); empty for embedders
 * @param multiLabel    {@code problem_type} is {@code multi_label_classification} (sigmoid, not softmax)
 * @param maxLength     the longest token sequence the model accepts, special tokens included
 * @param pooling       pooling for token-embedding outputs
 * @param normalize     whether the model's embeddings are meant to be L2-normalized (a Normalize module)
 * @param hiddenSize    {@code hidden_size} from config.json, or 0 when unknown
 */
public record ModelConfig(
        String modelType,
        List<String> labels,
        boolean multiLabel,
        int maxLength,
        Pooling pooling,
        boolean normalize,
        int hiddenSize) {

    /** Used when no file says how long inputs may be; the limit of BERT-family models. */
    public static final int DEFAULT_MAX_LENGTH = 512;

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        labels = List.copyOf(labels);
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive, was " + maxLength);
        }
        if (hiddenSize < 0) {
            throw new IllegalArgumentException("hiddenSize must not be negative, was " + hiddenSize);
        }
    }

    /** Reads the configuration files of {@code folder}; absent files give defaults, broken ones an error. */
    public static ModelConfig read(Path folder) {
        Optional<JsonNode> config = readJson(folder.resolve("config.json"));
        Optional<JsonNode> tokenizerConfig = readJson(folder.resolve("tokenizer_config.json"));
        Optional<JsonNode> sbertConfig = readJson(folder.resolve("sentence_bert_config.json"));
        Optional<JsonNode> modules = readJson(folder.resolve("modules.json"));

        String modelType = config.map(c -> c.path("model_type").asText("unknown")).orElse("unknown");
        List<String> labels = config.map(ModelConfig::labels).orElse(List.of());
        boolean multiLabel = config
                .map(c -> "multi_label_classification".equals(c.path("problem_type").asText("")))
                .orElse(false);
        int hiddenSize = config.map(c -> c.path("hidden_size").asInt(0)).orElse(0);

        int maxLength = maxLength(modelType, config, tokenizerConfig, sbertConfig);

        Pooling pooling = Pooling.MEAN;
        boolean normalize = false;
        if (modules.isPresent()) {
            for (JsonNode module : modules.get()) {
                String type = module.path("type").asText("");
                if (type.endsWith(".Pooling")) {
                    Path poolingConfig = folder.resolve(module.path("path").asText("1_Pooling"))
                            .resolve("config.json");
                    pooling = readJson(poolingConfig).map(ModelConfig::pooling).orElse(Pooling.MEAN);
                } else if (type.endsWith(".Normalize")) {
                    normalize = true;
                }
            }
        } else {
            Optional<JsonNode> poolingConfig = readJson(folder.resolve("1_Pooling").resolve("config.json"));
            if (poolingConfig.isPresent()) {
                pooling = pooling(poolingConfig.get());
            }
        }
        return new ModelConfig(modelType, labels, multiLabel, maxLength, pooling, normalize, hiddenSize);
    }

    /** A copy with another maximum length (a caller's tighter limit). */
    public ModelConfig withMaxLength(int newMaxLength) {
        return new ModelConfig(modelType, labels, multiLabel, newMaxLength, pooling, normalize, hiddenSize);
    }

    /**
     * Class names from {@code id2label}: the usual object of index strings to names, or a JSON list
     * (index = position), as some hand-written configs have it. Anything else there is an error
     * rather than silently generic LABEL_n names.
     */
    private static List<String> labels(JsonNode config) {
        JsonNode id2label = config.path("id2label");
        if (id2label.isMissingNode() || id2label.isNull() || id2label.isContainerNode() && id2label.isEmpty()) {
            return List.of();
        }
        if (id2label.isArray()) {
            List<String> labels = new ArrayList<>(id2label.size());
            for (int i = 0; i < id2label.size(); i++) {
                JsonNode name = id2label.get(i);
                if (!name.isTextual()) {
                    throw new PeregrineException(ErrorKind.MODEL_INVALID,
                            "config.json: id2label[" + i + "] is " + name.getNodeType().name().toLowerCase(Locale.ROOT)
                                    + ", not a class name");
                }
                labels.add(name.asText());
            }
            return labels;
        }
        if (!id2label.isObject()) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, "config.json: id2label must be an object of class "
                    + "indices to names (or a list of names), not " + id2label.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        Map<Integer, String> byIndex = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                byIndex.put(Integer.parseInt(e.getKey().trim()), e.getValue().asText());
            } catch (NumberFormatException ex) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID,
                        "config.json: id2label key '" + e.getKey() + "' is not a class index");
            }
        }
        List<String> labels = new ArrayList<>(byIndex.size());
        int expected = 0;
        for (Map.Entry<Integer, String> e : byIndex.entrySet()) {
            if (e.getKey() != expected++) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID,
                        "config.json: id2label must number classes 0.." + (byIndex.size() - 1)
                                + " without gaps, found index " + e.getKey());
            }
            labels.add(e.getValue());
        }
        return labels;
    }

    private static int maxLength(String modelType, Optional<JsonNode> config,
                                 Optional<JsonNode> tokenizerConfig, Optional<JsonNode> sbertConfig) {
        int fromSbert = sbertConfig.map(c -> c.path("max_seq_length").asInt(0)).orElse(0);
        if (fromSbert > 0) {
            return fromSbert;
        }
        // transformers writes a huge placeholder (1e30) when a tokenizer has no real limit.
        long fromTokenizer = tokenizerConfig.map(c -> c.path("model_max_length"))
                .filter(n -> n.isNumber() && n.canConvertToLong())
                .map(JsonNode::asLong)
                .orElse(0L);
        if (fromTokenizer > 0 && fromTokenizer <= 1_000_000) {
            return (int) fromTokenizer;
        }
        int positions = config.map(c -> c.path("max_position_embeddings").asInt(0)).orElse(0);
        if (positions > 0) {
            // RoBERTa-family models reserve padding_idx + 1 positions: 514 positions hold 512 tokens.
            boolean offsetPositions = switch (modelType) {
                case "roberta", "xlm-roberta", "camembert", "longformer", "mpnet" -> positions > 2;
                default -> false;
            };
            return offsetPositions ? positions - 2 : positions;
        }
        return DEFAULT_MAX_LENGTH;
    }

    private static Pooling pooling(JsonNode poolingConfig) {
        if (poolingConfig.path("pooling_mode_cls_token").asBoolean(false)) {
            return Pooling.CLS;
        }
        if (poolingConfig.path("pooling_mode_lasttoken").asBoolean(false)) {
            return Pooling.LAST_TOKEN;
        }
        if (poolingConfig.path("pooling_mode_max_tokens").asBoolean(false)) {
            return Pooling.MAX;
        }
        if (poolingConfig.path("pooling_mode_mean_sqrt_len_tokens").asBoolean(false)) {
            return Pooling.MEAN_SQRT_LEN;
        }
        return Pooling.MEAN;
    }

    static Optional<JsonNode> readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    file.getFileName() + " in " + file.getParent() + " is not valid JSON: "
                            + firstLine(e.getMessage()), e);
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "(no detail)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
