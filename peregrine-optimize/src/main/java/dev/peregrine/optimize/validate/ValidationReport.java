package dev.peregrine.optimize.validate;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.peregrine.core.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * How closely a candidate model follows a reference on the same texts.
 *
 * @param reference       the reference model's name
 * @param candidate       the candidate model's name
 * @param task            what both models do
 * @param texts           how many texts were compared
 * @param embedding       embedding agreement (embedders), else null
 * @param classification  classifier agreement (classifiers), else null
 * @param passed          whether every threshold held
 * @param failures        the thresholds that did not hold, as sentences
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ValidationReport(String reference, String candidate, Task task, int texts,
                               EmbeddingAgreement embedding, ClassifierAgreement classification,
                               boolean passed, List<String> failures) {

    public ValidationReport {
        failures = List.copyOf(failures);
    }

    /**
     * @param cosineMin     the lowest cosine similarity between the two models' vectors for one text
     * @param cosineMean    the mean cosine similarity
     * @param cosineP1      the 1st percentile (99% of texts are at least this close)
     * @param neighbours    k of the nearest-neighbour comparison
     * @param neighbourOverlap mean share of each text's k nearest neighbours (among the texts) that both
     *                      models agree on
     */
    public record EmbeddingAgreement(double cosineMin, double cosineMean, double cosineP1, int neighbours,
                                     double neighbourOverlap) {
    }

    /**
     * @param labelAgreement  share of texts whose top label is the same
     * @param maxProbDiff     the largest probability difference (any text, any class)
     * @param meanProbDiff    mean over texts of the largest per-class probability difference
     * @param referenceAccuracy accuracy against the data's labels, or null without labels
     * @param candidateAccuracy likewise for the candidate
     * @param accuracyDrop    reference minus candidate accuracy, or null
     * @param labelled        how many texts carried a label the model knows
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ClassifierAgreement(double labelAgreement, double maxProbDiff, double meanProbDiff,
                                      Double referenceAccuracy, Double candidateAccuracy, Double accuracyDrop,
                                      int labelled) {
    }

    /** A human-readable summary. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("reference: " + reference + "   candidate: " + candidate + "   texts: " + texts);
        if (embedding != null) {
            out.add(String.format("cosine similarity   min %.4f   mean %.4f   p1 %.4f", embedding.cosineMin(),
                    embedding.cosineMean(), embedding.cosineP1()));
            out.add(String.format("top-%d neighbours   %.1f%% shared", embedding.neighbours(),
                    100 * embedding.neighbourOverlap()));
        }
        if (classification != null) {
            out.add(String.format("label agreement     %.2f%%", 100 * classification.labelAgreement()));
            out.add(String.format("probability diff    max %.4f   mean %.4f", classification.maxProbDiff(),
                    classification.meanProbDiff()));
            if (classification.accuracyDrop() != null) {
                out.add(String.format("accuracy            reference %.2f%%   candidate %.2f%%   drop %.2f points (%d labelled)",
                        100 * classification.referenceAccuracy(), 100 * classification.candidateAccuracy(),
                        100 * classification.accuracyDrop(), classification.labelled()));
            }
        }
        out.add(passed ? "PASSED" : "FAILED: " + String.join("; ", failures));
        return out;
    }
}
