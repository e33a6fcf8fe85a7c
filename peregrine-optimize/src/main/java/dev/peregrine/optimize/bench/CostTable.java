package dev.peregrine.optimize.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a thousand inferences cost, for every setting a benchmark measured, on the machines a user
 * prices: {@code usd_per_1000 = usd_per_hour / 3600 / items_per_second * 1000}.
 *
 * <p>A machine with as many cores as this one gets the measured throughput. A machine with a
 * different core count gets a <em>projection</em>: the measured throughput scaled by the core ratio
 * times the scaling efficiency this machine showed in its core-scaling sweep (items/s on all cores
 * over cores x items/s on one core; 1 when no sweep was run). Projected rows say so. Latency is the
 * measured p99 of a forward pass (batch), which is what a latency objective can be checked against
 * here.
 *
 * @param machines           the machines priced
 * @param sloP99Ms           the latency objective (p99 batch latency, ms), or null
 * @param scalingEfficiency  the efficiency used for projections
 * @param rows               every setting on every machine, cheapest first
 * @param cheapestMeetingSlo the cheapest row whose p99 meets the objective, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CostTable(List<Machine> machines, Double sloP99Ms, double scalingEfficiency, List<Row> rows,
                        Row cheapestMeetingSlo) {

    public CostTable {
        machines = List.copyOf(machines);
        rows = List.copyOf(rows);
    }

    /**
     * A machine type and its price.
     *
     * @param name       e.g. "c7i.xlarge" or "this machine"
     * @param usdPerHour on-demand (or whatever) price per hour
     * @param cores      its vCPUs; 0 means "like this machine"
     */
    public record Machine(String name, double usdPerHour, int cores) {
        public Machine {
            Objects.requireNonNull(name, "name");
            if (!(usdPerHour > 0) || !Double.isFinite(usdPerHour)) {
                throw new IllegalArgumentException("price per hour of " + name + " must be positive, was " + usdPerHour);
            }
            if (cores < 0) {
                throw new IllegalArgumentException("cores of " + name + " must be >= 0, was " + cores);
            }
        }
    }

    /**
     * One setting on one machine.
     *
     * @param machine        machine name
     * @param setting        the benchmark row or sweep setting
     * @param itemsPerSecond measured, or projected for this machine
     * @param p99BatchMs     measured p99 forward-pass latency
     * @param usdPer1000     cost of 1,000 inferences
     * @param projected      whether the throughput is projected from another core count
     * @param meetsSlo       whether p99 meets the objective (null without one)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Row(String machine, String setting, double itemsPerSecond, double p99BatchMs, double usdPer1000,
                      boolean projected, Boolean meetsSlo) {
    }

    /** USD per 1,000 inferences at a price per hour and a throughput. */
    public static double usdPer1000(double usdPerHour, double itemsPerSecond) {
        if (!(itemsPerSecond > 0)) {
            return Double.POSITIVE_INFINITY;
        }
        return usdPerHour / 3600.0 / itemsPerSecond * 1000.0;
    }

    /**
     * Reads machine prices: CSV/TSV with a header naming {@code machine}, {@code usd_per_hour} and
     * optionally {@code cores}, or a text file of lines {@code NAME PRICE [CORES]}.
     */
    public static List<Machine> readPrices(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Machine> machines = new ArrayList<>();
        if (name.endsWith(".csv") || name.endsWith(".tsv")) {
            org.apache.commons.csv.CSVFormat format = (name.endsWith(".tsv") ? org.apache.commons.csv.CSVFormat.TDF
                    : org.apache.commons.csv.CSVFormat.DEFAULT).builder().setHeader().setSkipHeaderRecord(true)
                    .setTrim(true).setIgnoreEmptyLines(true).build();
            try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(file);
                 org.apache.commons.csv.CSVParser parser = format.parse(reader)) {
                if (!parser.getHeaderMap().containsKey("machine") || !parser.getHeaderMap().containsKey("usd_per_hour")) {
                    throw new IllegalArgumentException(file + ": the header must name machine and usd_per_hour "
                            + "(and optionally cores); it has " + parser.getHeaderNames());
                }
                boolean hasCores = parser.getHeaderMap().containsKey("cores");
                for (org.apache.commons.csv.CSVRecord r : parser) {
                    String machine = r.get("machine");
                    String cores = hasCores ? r.get("cores") : "";
                    machines.add(new Machine(machine, number(r.get("usd_per_hour"), file, machine),
                            cores.isBlank() ? 0 : (int) number(cores, file, machine)));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        } else {
            try {
                for (String line : java.nio.file.Files.readAllLines(file)) {
                    String l = line.strip();
                    if (l.isEmpty() || l.startsWith("#")) {
                        continue;
                    }
                    String[] parts = l.split("\\s+");
                    if (parts.length < 2 || parts.length > 3) {
                        throw new IllegalArgumentException(file + ": expected 'MACHINE USD_PER_HOUR [CORES]', got '" + l + "'");
                    }
                    machines.add(new Machine(parts[0], number(parts[1], file, parts[0]),
                            parts.length == 3 ? (int) number(parts[2], file, parts[0]) : 0));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        if (machines.isEmpty()) {
            throw new IllegalArgumentException(file + " lists no machines");
        }
        return machines;
    }

    private static double number(String value, Path file, String machine) {
        try {
            return Double.parseDouble(Objects.requireNonNull(value, "missing").strip().replace("$", ""));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": '" + value + "' for " + machine + " is not a number");
        }
    }

    /**
     * Prices every row and sweep setting of a benchmark.
     *
     * @param cores this machine's cores
     */
    public static CostTable of(BenchReport report, List<Machine> machines, Double sloP99Ms, int cores) {
        double efficiency = scalingEfficiency(report.scaling(), cores);
        List<Row> rows = new ArrayList<>();
        for (Machine m : machines) {
            boolean projected = m.cores() != 0 && m.cores() != cores;
            double factor = projected ? (double) m.cores() / cores * efficiency : 1;
            List<BenchRow> all = new ArrayList<>(report.steps());
            all.addAll(report.comparisons());
            for (BenchRow b : all) {
                rows.add(row(m, b.step(), b.itemsPerSecond() * factor, b.p99BatchMs(), projected, sloP99Ms));
            }
            for (SweepRow s : report.sweep()) {
                rows.add(row(m, "sweep " + s.label(), s.itemsPerSecond() * factor, s.p99BatchMs(), projected, sloP99Ms));
            }
        }
        rows.sort(Comparator.comparingDouble(Row::usdPer1000));
        Row best = sloP99Ms == null ? null
                : rows.stream().filter(r -> Boolean.TRUE.equals(r.meetsSlo())).findFirst().orElse(null);
        return new CostTable(machines, sloP99Ms, efficiency, rows, best);
    }

    private static Row row(Machine m, String setting, double ips, double p99, boolean projected, Double slo) {
        return new Row(m.name(), setting, ips, p99, usdPer1000(m.usdPerHour(), ips), projected,
                slo == null ? null : p99 <= slo);
    }

    /**
     * Items/s on all cores over (cores x items/s on one core), from the core-scaling rows (the best
     * of threads and instances at each core count); 1 without them.
     */
    public static double scalingEfficiency(List<SweepRow> scaling, int cores) {
        double one = scaling.stream().filter(s -> s.instances() * s.threads() == 1)
                .mapToDouble(SweepRow::itemsPerSecond).max().orElse(0);
        double all = scaling.stream().filter(s -> s.instances() * s.threads() == cores)
                .mapToDouble(SweepRow::itemsPerSecond).max().orElse(0);
        if (one <= 0 || all <= 0 || cores <= 1) {
            return 1;
        }
        return Math.min(1, all / (cores * one));
    }

    /** The table as text (aligned or Markdown). */
    public String render(boolean markdown) {
        StringBuilder b = new StringBuilder();
        b.append(markdown ? "\n**Cost per 1,000 inferences**" : "\ncost per 1,000 inferences");
        if (rows.stream().anyMatch(Row::projected)) {
            b.append(String.format(Locale.ROOT, " (projected rows: measured items/s x core ratio x %.2f scaling "
                    + "efficiency from this machine's core-scaling sweep; a projection, not a measurement)",
                    scalingEfficiency));
        }
        b.append(markdown ? "\n\n" : "\n");
        String[] header = {"machine", "setting", "items/s", "p99 batch ms", "USD / 1,000", sloP99Ms == null ? ""
                : String.format(Locale.ROOT, "p99 <= %.0f ms", sloP99Ms)};
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            cells.add(new String[] {r.machine(), r.setting(), String.format(Locale.ROOT, "%.1f%s", r.itemsPerSecond(),
                    r.projected() ? " (proj.)" : ""), String.format(Locale.ROOT, "%.1f", r.p99BatchMs()),
                String.format(Locale.ROOT, "%.6f", r.usdPer1000()), r.meetsSlo() == null ? "" : r.meetsSlo() ? "yes" : "no"});
        }
        b.append(Grid.render(header, cells, markdown));
        if (sloP99Ms != null) {
            b.append(cheapestMeetingSlo == null
                    ? String.format(Locale.ROOT, "no setting meets p99 <= %.1f ms%n", sloP99Ms)
                    : String.format(Locale.ROOT, "cheapest meeting p99 <= %.1f ms: %s on %s, USD %.6f per 1,000%n",
                    sloP99Ms, cheapestMeetingSlo.setting(), cheapestMeetingSlo.machine(), cheapestMeetingSlo.usdPer1000()));
        }
        return b.toString();
    }
}
