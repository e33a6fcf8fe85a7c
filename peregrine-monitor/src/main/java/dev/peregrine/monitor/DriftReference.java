package dev.peregrine.monitor;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What normal traffic looks like for one model, the baseline every window is compared with. Built
 * by {@link ReferenceBuilder} from a data file ({@code peregrine drift-reference}) or from the first
 * predictions a server makes; stored as JSON.
 *
 * @param model             the model's name
 * @param task              classification or embedding
 * @param samples           predictions it was built from
 * @param lengthEdges       upper bounds (inclusive) of the token-length bins; one more bin holds longer texts
 * @param lengthProportions share of texts per bin ({@code lengthEdges.length + 1} values)
 * @param meanTokens        mean tokens per text
 * @param truncationRate    share of texts truncated
 * @param unknownRate       share of tokens that were the unknown token
 * @param labels            class names (classifiers; empty for embedders)
 * @param labelProportions  share of predictions per class (classifiers)
 * @param meanTop1          mean top-1 probability (classifiers)
 * @param meanEntropy       mean prediction entropy in nats (classifiers)
 * @param centroid          unit mean of the normalized embeddings (embedders)
 * @param meanSimilarity    mean cosine of an embedding to the centroid (embedders)
 * @param stdSimilarity     its standard deviation (embedders)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record DriftReference(
        @JsonProperty("model") String model,
        @JsonProperty("task") Task task,
        @JsonProperty("samples") int samples,
        @JsonProperty("length_edges") int[] lengthEdges,
        @JsonProperty("length_proportions") double[] lengthProportions,
        @JsonProperty("mean_tokens") double meanTokens,
        @JsonProperty("truncation_rate") double truncationRate,
        @JsonProperty("unknown_rate") double unknownRate,
        @JsonProperty("labels") List<String> labels,
        @JsonProperty("label_proportions") double[] labelProportions,
        @JsonProperty("mean_top1") double meanTop1,
        @JsonProperty("mean_entropy") double meanEntropy,
        @JsonProperty("centroid") float[] centroid,
        @JsonProperty("mean_similarity") double meanSimilarity,
        @JsonProperty("std_similarity") double stdSimilarity) {

    /**
     * The fewest texts a reference may be built from. Below it the shares it holds (ten length bins,
     * the classes, truncation and unknown-token rates) are mostly noise, and every window would be
     * judged against that noise; 100 texts puts each decile bin at about ten.
     */
    public static final int MIN_SAMPLES = 100;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public DriftReference {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(lengthEdges, "length_edges");
        Objects.requireNonNull(lengthProportions, "length_proportions");
        labels = labels == null ? List.of() : List.copyOf(labels);
        if (samples < MIN_SAMPLES) {
            throw new IllegalArgumentException("a drift reference needs at least " + MIN_SAMPLES
                    + " texts to mean anything; this one has " + samples);
        }
        if (lengthProportions.length != lengthEdges.length + 1) {
            throw new IllegalArgumentException("length_proportions must have one more entry than length_edges");
        }
        if (task == Task.CLASSIFICATION && (labelProportions == null || labelProportions.length != labels.size()
                || labels.isEmpty())) {
            throw new IllegalArgumentException("a classifier's reference needs labels and their proportions");
        }
        if (task == Task.EMBEDDING && (centroid == null || centroid.length == 0)) {
            throw new IllegalArgumentException("an embedder's reference needs a centroid");
        }
    }

    public static DriftReference read(Path file) {
        try {
            return JSON.readValue(file.toFile(), DriftReference.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, file + " is not a drift reference: "
                    + firstLine(e.getMessage()), e);
        }
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writeValue(file.toFile(), this);
    }

    /** The bin of a token length. */
    int lengthBin(int tokens) {
        for (int i = 0; i < lengthEdges.length; i++) {
            if (tokens <= lengthEdges[i]) {
                return i;
            }
        }
        return lengthEdges.length;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no detail)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
