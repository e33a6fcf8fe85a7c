package dev.peregrine.optimize.bench;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of the step-by-step table.
 *
 * @param step              what this row adds (for example "+ our INT8")
 * @param setup             the configuration measured, in words
 * @param itemsPerSecond    texts per second (median pass)
 * @param msPerItem         milliseconds per text (median pass)
 * @param p50BatchMs        median forward-pass latency
 * @param p99BatchMs        99th-percentile forward-pass latency
 * @param speedupVsBaseline items/s relative to the first row
 * @param speedupVsPrevious items/s relative to the row above (null for the first row and for
 *                          comparison rows)
 * @param fidelity          mean cosine (embedders) or label agreement (classifiers) with the
 *                          float32 baseline's outputs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchRow(String step, String setup, double itemsPerSecond, double msPerItem, double p50BatchMs,
                       double p99BatchMs, double speedupVsBaseline, Double speedupVsPrevious, double fidelity) {
}
