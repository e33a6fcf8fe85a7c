package dev.peregrine.optimize.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints a core-scaling sweep ({@link Benchmark#coreScaling}) with its projection to larger machines. */
public final class CoreScaling {

    private CoreScaling() {
    }

    public static String render(List<SweepRow> scaling, int cores, boolean markdown) {
        double one = scaling.stream().filter(s -> s.instances() * s.threads() == 1)
                .mapToDouble(SweepRow::itemsPerSecond).max().orElse(Double.NaN);
        List<String[]> cells = new ArrayList<>();
        for (SweepRow s : scaling) {
            int used = s.instances() * s.threads();
            cells.add(new String[] {s.instances() + " x " + s.threads(), Integer.toString(used),
                fmt(s.itemsPerSecond(), 1), fmt(s.itemsPerSecond() / one, 2) + "x",
                fmt(100 * s.itemsPerSecond() / (used * one), 0) + "%", fmt(s.p99BatchMs(), 1)});
        }
        double efficiency = CostTable.scalingEfficiency(scaling, cores);
        StringBuilder b = new StringBuilder(markdown ? "\n**Core scaling (INT8 model, this machine)**\n\n"
                : "\ncore scaling (INT8 model, this machine)\n");
        b.append(Grid.render(new String[] {"instances x threads", "cores", "items/s", "vs 1 core", "efficiency",
            "p99 batch ms"}, cells, markdown));
        b.append(String.format(Locale.ROOT, "projection, not a measurement: at %.0f%% efficiency per added core, "
                        + "a machine with C cores would do about %.1f x C items/s (%.0f on 8 cores, %.0f on 16); "
                        + "memory bandwidth and turbo limits usually lower it on larger machines%n",
                100 * efficiency, one * efficiency, one * efficiency * 8, one * efficiency * 16));
        return b.toString();
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
