package dev.peregrine.optimize.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How {@code bench} prints a {@link BenchReport}: an aligned table, JSON, or a Markdown table. */
public enum ReportFormat {
    TABLE, JSON, MARKDOWN;

    private static final ObjectMapper JSON_MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static ReportFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + value + "': expected table, json or markdown");
        }
    }

    public String render(BenchReport r) {
        return switch (this) {
            case JSON -> json(r);
            case MARKDOWN -> markdown(r);
            case TABLE -> table(r);
        };
    }

    private static String json(BenchReport r) {
        try {
            return JSON_MAPPER.writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String[] HEADER = {"step", "items/s", "ms/item", "p50 batch ms", "p99 batch ms",
        "vs baseline", "vs above", "fidelity"};

    private static List<String[]> cells(BenchReport r) {
        List<String[]> rows = new ArrayList<>();
        List<BenchRow> all = new ArrayList<>(r.steps());
        all.addAll(r.comparisons());
        for (BenchRow b : all) {
            rows.add(new String[] {b.step(), fmt(b.itemsPerSecond(), 1), fmt(b.msPerItem(), 2), fmt(b.p50BatchMs(), 1),
                fmt(b.p99BatchMs(), 1), fmt(b.speedupVsBaseline(), 2) + "x",
                b.speedupVsPrevious() == null ? "" : fmt(b.speedupVsPrevious(), 2) + "x", fmt(b.fidelity(), 4)});
        }
        return rows;
    }

    private static final String[] SWEEP_HEADER = {"instances x threads", "spinning", "max batch tokens", "items/s",
        "p50 batch ms", "p99 batch ms"};

    private static List<String[]> sweepCells(BenchReport r) {
        List<String[]> rows = new ArrayList<>();
        for (SweepRow s : r.sweep()) {
            rows.add(new String[] {s.instances() + " x " + s.threads(), s.spinning() ? "on" : "off",
                Integer.toString(s.maxBatchTokens()), fmt(s.itemsPerSecond(), 1), fmt(s.p50BatchMs(), 1),
                fmt(s.p99BatchMs(), 1)});
        }
        return rows;
    }

    private static String table(BenchReport r) {
        StringBuilder b = new StringBuilder();
        b.append(r.model()).append(": ").append(r.texts()).append(" texts, ").append(r.tokens()).append(" tokens; ")
                .append(r.timing()).append('\n');
        b.append(cpuLine(r)).append('\n');
        b.append(aligned(HEADER, cells(r)));
        if (!r.sweep().isEmpty()) {
            b.append("\nserving sweep (final model)\n").append(aligned(SWEEP_HEADER, sweepCells(r)));
        }
        b.append('\n');
        r.environment().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        r.notes().forEach(n -> b.append(n).append('\n'));
        return b.toString();
    }

    /** The CPU and its INT8 instruction sets: results mean little without them. */
    private static String cpuLine(BenchReport r) {
        return "cpu: " + r.environment().getOrDefault("cpu", "unknown") + " (" + r.environment().getOrDefault("isa", "?")
                + "; int8 target " + r.environment().getOrDefault("int8_target", "?") + ")";
    }

    private static String markdown(BenchReport r) {
        StringBuilder b = new StringBuilder();
        b.append("**").append(r.model()).append("**: ").append(r.texts()).append(" texts, ").append(r.tokens())
                .append(" tokens; ").append(r.timing()).append("\n\n");
        b.append(cpuLine(r)).append("\n\n");
        b.append(md(HEADER, cells(r)));
        if (!r.sweep().isEmpty()) {
            b.append("\nServing sweep (final model):\n\n").append(md(SWEEP_HEADER, sweepCells(r)));
        }
        b.append('\n');
        List<String> env = new ArrayList<>();
        r.environment().forEach((k, v) -> env.add(k + ": " + v));
        b.append(String.join("; ", env)).append("\n\n");
        r.notes().forEach(n -> b.append("- ").append(n).append('\n'));
        return b.toString();
    }

    private static String aligned(String[] header, List<String[]> rows) {
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            width[c] = header[c].length();
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder b = new StringBuilder();
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] row : all) {
            for (int c = 0; c < row.length; c++) {
                String cell = row[c];
                b.append(c == 0 ? pad(cell, width[c], false) : "  " + pad(cell, width[c], true));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String md(String[] header, List<String[]> rows) {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int c = 0; c < header.length; c++) {
            b.append(c == 0 ? " --- |" : " ---: |");
        }
        b.append('\n');
        for (String[] row : rows) {
            b.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return b.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
