package dev.peregrine.optimize.fusion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link TransformerOptimizer} did to a graph: per fusion, how many subgraphs it replaced and
 * why candidates were passed over; the operator counts before and after; and how far the rewritten
 * graph's outputs moved from the original's on a probe input.
 *
 * @param steps        one entry per fusion that ran, in order
 * @param opsBefore    node counts by op type before
 * @param opsAfter     node counts by op type after
 * @param maxAbsDiff   the largest output difference on the probe input (NaN when not checked)
 * @param notes        other facts worth telling the user (shapes unknown, a step undone, ...)
 */
public record FusionReport(List<Step> steps, Map<String, Integer> opsBefore, Map<String, Integer> opsAfter,
                           double maxAbsDiff, List<String> notes) {

    public FusionReport {
        steps = List.copyOf(steps);
        opsBefore = Map.copyOf(opsBefore);
        opsAfter = Map.copyOf(opsAfter);
        notes = List.copyOf(notes);
    }

    /** One fusion's outcome. Mutable only while the optimizer runs. */
    public static final class Step {
        private final String fusion;
        int fused;
        final Map<String, Integer> misses = new LinkedHashMap<>();

        Step(String fusion) {
            this.fusion = fusion;
        }

        public String fusion() {
            return fusion;
        }

        /** Subgraphs replaced. */
        public int fused() {
            return fused;
        }

        /** Candidates passed over, by reason, with counts. */
        public Map<String, Integer> misses() {
            return Map.copyOf(misses);
        }
    }

    /** How many subgraphs the named fusion replaced (0 when it did not run). */
    public int fused(String fusion) {
        return steps.stream().filter(s -> s.fusion().equals(fusion)).mapToInt(Step::fused).sum();
    }

    /** A human-readable summary, one line per fusion. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (Step s : steps) {
            StringBuilder b = new StringBuilder(String.format("%-20s %3d fused", s.fusion(), s.fused()));
            if (!s.misses.isEmpty()) {
                b.append("; not fused: ");
                List<String> parts = new ArrayList<>();
                s.misses.forEach((reason, n) -> parts.add(n + " x " + reason));
                b.append(String.join("; ", parts));
            }
            out.add(b.toString());
        }
        out.addAll(notes);
        return out;
    }
}
