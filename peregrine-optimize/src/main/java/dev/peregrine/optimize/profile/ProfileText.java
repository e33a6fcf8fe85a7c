package dev.peregrine.optimize.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peregrine.optimize.bench.Grid;
import dev.peregrine.optimize.bench.ReportFormat;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints a {@link ProfileReport} as an aligned table, Markdown or JSON. */
public final class ProfileText {

    /** How many operator types the text formats list (JSON has all). */
    public static final int TOP_OPERATORS = 10;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ProfileText() {
    }

    public static String render(ProfileReport r, ReportFormat format) {
        return switch (format) {
            case JSON -> json(r);
            case TABLE -> text(r, false);
            case MARKDOWN -> text(r, true);
        };
    }

    private static String json(ProfileReport r) {
        try {
            return JSON.writeValueAsString(r) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(ProfileReport r, boolean md) {
        StringBuilder b = new StringBuilder();
        b.append(md ? "**" + r.model() + "**" : r.model()).append(" (").append(r.onnxFile()).append("): ")
                .append(r.texts()).append(" texts\n");
        for (ProfileReport.Mode m : r.modes()) {
            b.append('\n').append(md ? "### " : "== ").append(m.name()).append(md ? "\n\n" : "\n");
            b.append(String.format(Locale.ROOT, "%d texts in %d passes, %.1f ms, %.1f texts/s; padding %.1f%% of %d "
                            + "computed tokens (%.2f padded per real token)%n", m.texts(), m.passes(),
                    m.totalMs(), m.itemsPerSecond(), 100 * m.paddingShare(), m.paddedTokens(), m.paddedPerReal()));
            List<String[]> stages = new ArrayList<>();
            for (ProfileReport.Stage s : m.stages()) {
                stages.add(new String[] {s.name(), fmt(s.ms(), 1), pct(s.share())});
            }
            stages.add(new String[] {"(unaccounted: loop, batch planning)", fmt(m.unaccountedMs(), 1),
                pct(m.unaccountedMs() / m.totalMs())});
            stages.add(new String[] {"total", fmt(m.totalMs(), 1), "100.0%"});
            b.append(md ? "\n" : "").append(Grid.render(new String[] {"stage", "ms", "share"}, stages, md));
            b.append(String.format(Locale.ROOT, "%sinside ONNX Runtime (its profiler, %.1f ms of runs, %.1f ms in "
                    + "kernels): matrix products %.1f%%, the rest %.1f%%%n", md ? "\n" : "\n", m.profiledRunMs(),
                    m.kernelMs(), 100 * m.matrixProductShare(), 100 * (1 - m.matrixProductShare())));
            List<String[]> ops = new ArrayList<>();
            for (ProfileReport.OperatorTime o : m.operators().subList(0, Math.min(TOP_OPERATORS, m.operators().size()))) {
                ops.add(new String[] {o.opType() + (o.matrixProduct() ? " *" : ""), fmt(o.ms(), 1), pct(o.share()),
                    Integer.toString(o.calls())});
            }
            b.append(md ? "\n" : "").append(Grid.render(new String[] {"operator (* matrix product)", "ms", "share", "calls"},
                    ops, md));
            List<String[]> layers = new ArrayList<>();
            for (ProfileReport.LayerTime l : m.layers()) {
                layers.add(new String[] {l.layer(), fmt(l.ms(), 1), pct(l.share())});
            }
            b.append(md ? "\n" : "\n").append(Grid.render(new String[] {"block", "ms", "share"}, layers, md));
        }
        b.append('\n');
        r.environment().forEach((k, v) -> b.append(md ? "- " : "").append(k).append(": ").append(v).append('\n'));
        r.notes().forEach(n -> b.append(md ? "- " : "").append(n).append('\n'));
        return b.toString();
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }
}
