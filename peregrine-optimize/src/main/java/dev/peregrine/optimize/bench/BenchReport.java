package dev.peregrine.optimize.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of {@link Benchmark#run}: the step-by-step rows, comparison rows for other models run
 * with the final row's settings in the same process, and the serving sweep.
 *
 * @param model       the model benchmarked
 * @param texts       the texts benchmarked; fidelity is judged on all of them
 * @param tokens      real tokens in those texts
 * @param timedTexts  texts each step's row was timed on: all of them, or a {@link TimedSample} of them
 *                    (the same for every row; the sweep and the core scaling time all texts)
 * @param timedTokens real tokens in the timed texts
 * @param sampleSeed  the seed the timed sample was drawn with
 * @param passes      measured passes per row (each row warmed up first)
 * @param environment machine and software facts (CPU, cores, Java, ONNX Runtime, date)
 * @param steps       the step-by-step rows, baseline first
 * @param comparisons other models with the final row's settings
 * @param sweep       serving configurations of the final model (empty when not run)
 * @param notes       what fused and what was quantized, and anything else to know
 * @param scaling     the INT8 model on 1..N cores of this machine (empty when not run)
 */
@JsonPropertyOrder({"model", "texts", "tokens", "timedTexts", "timedTokens", "sampleSeed", "passes", "timing"})
public record BenchReport(String model, int texts, long tokens, int timedTexts, long timedTokens, long sampleSeed,
                          int passes, Map<String, String> environment, List<BenchRow> steps,
                          List<BenchRow> comparisons, List<SweepRow> sweep, List<String> notes,
                          List<SweepRow> scaling) {

    public BenchReport {
        if (timedTexts < 1 || timedTexts > texts) {
            throw new IllegalArgumentException("timed texts must be 1.." + texts + ", was " + timedTexts);
        }
        environment = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
        steps = List.copyOf(steps);
        comparisons = List.copyOf(comparisons);
        sweep = List.copyOf(sweep);
        notes = List.copyOf(notes);
        scaling = List.copyOf(scaling);
    }

    /** Whether the rows were timed on a sample of the texts rather than all of them. */
    public boolean sampled() {
        return timedTexts < texts;
    }

    /**
     * What the rows' speeds were measured on and what their fidelity was judged on, in words: the
     * line every format prints above the table, so a quick look's numbers are never taken for a full
     * measurement's.
     */
    @JsonProperty("timing")
    public String timing() {
        String passWords = passes == 1 ? "1 pass" : "median of " + passes + " passes";
        if (!sampled()) {
            return "every row timed on all " + texts + " texts, " + passWords + "; fidelity on the first measured pass";
        }
        return String.format(Locale.ROOT, "every row timed on the same %d of the %d texts (%d of %d tokens; a "
                + "sample following the texts' lengths, seed %d), %s; fidelity on all %d texts, each variant's "
                + "outputs computed in length-sorted batches", timedTexts, texts, timedTokens, tokens, sampleSeed,
                passWords, texts);
    }
}
