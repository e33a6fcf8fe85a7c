package dev.peregrine.optimize.bench;

import java.util.List;
import java.util.Map;

/**
 * The result of {@link Benchmark#run}: the step-by-step rows, comparison rows for other models run
 * with the final row's settings in the same process, and the serving sweep.
 *
 * @param model       the model benchmarked
 * @param texts       texts per pass
 * @param tokens      real tokens in those texts
 * @param passes      measured passes per row (after one warm-up pass)
 * @param environment machine and software facts (CPU, cores, Java, ONNX Runtime, date)
 * @param steps       the step-by-step rows, baseline first
 * @param comparisons other models with the final row's settings
 * @param sweep       serving configurations of the final model (empty when not run)
 * @param notes       what fused and what was quantized, and anything else to know
 * @param scaling     the INT8 model on 1..N cores of this machine (empty when not run)
 */
public record BenchReport(String model, int texts, long tokens, int passes, Map<String, String> environment,
                          List<BenchRow> steps, List<BenchRow> comparisons, List<SweepRow> sweep,
                          List<String> notes, List<SweepRow> scaling) {

    public BenchReport {
        environment = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
        steps = List.copyOf(steps);
        comparisons = List.copyOf(comparisons);
        sweep = List.copyOf(sweep);
        notes = List.copyOf(notes);
        scaling = List.copyOf(scaling);
    }
}
