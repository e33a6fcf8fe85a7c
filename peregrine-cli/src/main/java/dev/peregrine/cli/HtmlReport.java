package dev.peregrine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.loadtest.LoadTestReport;
import dev.peregrine.optimize.bench.BenchReport;
import dev.peregrine.optimize.bench.BenchRow;
import dev.peregrine.optimize.bench.CostTable;
import dev.peregrine.optimize.bench.SweepRow;
import dev.peregrine.optimize.profile.ProfileReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Self-contained HTML reports with charts for bench, profile and loadtest: one file, Chart.js
 * inlined from its WebJar, no network needed to open it.
 *
 * <p>The page records script errors into {@code #script-errors} and, once every chart has drawn,
 * sets {@code data-charts-drawn} on {@code #render-status} to the number expected, so a headless
 * browser's DOM dump shows whether the report really rendered.
 */
final class HtmlReport {

    /** The Chart.js build inlined into reports (UMD: defines window.Chart). */
    static final String CHART_JS = "META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.min.js";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    private HtmlReport() {
    }

    // ---------------------------------------------------------------------------------------------
    // The three reports

    static String profile(ProfileReport r) {
        Page page = new Page("Profile: " + r.model());
        page.paragraph(r.model() + " (" + r.onnxFile() + "), " + r.texts() + " texts. " + env(r.environment()));
        for (ProfileReport.Mode m : r.modes()) {
            page.heading(m.name());
            page.paragraph(String.format(Locale.ROOT, "%d texts in %d passes, %.1f ms (%.1f texts/s); padding %.1f%% "
                            + "of computed tokens; matrix products %.1f%% of kernel time.", m.texts(), m.passes(),
                    m.totalMs(), m.itemsPerSecond(), 100 * m.paddingShare(), 100 * m.matrixProductShare()));
            List<String> stageNames = new ArrayList<>();
            List<Double> stageMs = new ArrayList<>();
            m.stages().forEach(s -> {
                stageNames.add(s.name());
                stageMs.add(s.ms());
            });
            stageNames.add("unaccounted");
            stageMs.add(Math.max(0, m.unaccountedMs()));
            page.chart(bar("Pipeline stages (ms)", stageNames, List.of(dataset("ms", stageMs, null)), true));
            List<ProfileReport.OperatorTime> top = m.operators().subList(0, Math.min(12, m.operators().size()));
            page.chart(bar("Operators inside ONNX Runtime (kernel ms; orange = matrix products)",
                    top.stream().map(ProfileReport.OperatorTime::opType).toList(),
                    List.of(dataset("ms", top.stream().map(ProfileReport.OperatorTime::ms).toList(),
                            top.stream().map(o -> o.matrixProduct() ? PALETTE[1] : PALETTE[0]).toList())), true));
            page.chart(bar("Time per transformer block (kernel ms)",
                    m.layers().stream().map(ProfileReport.LayerTime::layer).toList(),
                    List.of(dataset("ms", m.layers().stream().map(ProfileReport.LayerTime::ms).toList(), null)), false));
        }
        page.notes(r.notes());
        return page.html();
    }

    static String bench(BenchReport r, CostTable cost) {
        Page page = new Page("Benchmark: " + r.model());
        page.paragraph(r.model() + ": " + r.texts() + " texts, " + r.tokens() + " tokens; " + r.timing() + ". "
                + env(r.environment()));
        List<BenchRow> rows = new ArrayList<>(r.steps());
        rows.addAll(r.comparisons());
        page.chart(bar("Items per second, step by step", rows.stream().map(BenchRow::step).toList(),
                List.of(dataset("items/s", rows.stream().map(BenchRow::itemsPerSecond).toList(), null)), true));
        page.chart(bar("Batch latency (ms), step by step", rows.stream().map(BenchRow::step).toList(),
                List.of(dataset("p50", rows.stream().map(BenchRow::p50BatchMs).toList(), PALETTE[0]),
                        dataset("p99", rows.stream().map(BenchRow::p99BatchMs).toList(), PALETTE[3])), true));
        List<Point> points = new ArrayList<>();
        rows.forEach(b -> points.add(new Point(b.step(), b.itemsPerSecond(), b.p99BatchMs())));
        r.sweep().forEach(s -> points.add(new Point(s.label(), s.itemsPerSecond(), s.p99BatchMs())));
        page.chart(scatter("Throughput against p99 batch latency (every row and sweep setting)", points,
                "items/s", "p99 batch latency (ms)"));
        if (cost != null && !cost.rows().isEmpty()) {
            page.heading("Cost per 1,000 inferences");
            List<CostTable.Row> cheapest = cost.rows();
            page.chart(bar("USD per 1,000 inferences", cheapest.stream().map(c -> c.machine() + ": " + c.setting()).toList(),
                    List.of(dataset("USD / 1,000", cheapest.stream().map(CostTable.Row::usdPer1000).toList(), null)),
                    true));
            if (cost.cheapestMeetingSlo() != null) {
                CostTable.Row best = cost.cheapestMeetingSlo();
                page.paragraph(String.format(Locale.ROOT, "Cheapest setting meeting p99 <= %.1f ms: %s on %s, "
                        + "USD %.5f per 1,000.", cost.sloP99Ms(), best.setting(), best.machine(), best.usdPer1000()));
            }
        }
        if (!r.sweep().isEmpty()) {
            List<SweepRow> sweep = r.sweep();
            page.chart(bar("Serving sweep: items per second", sweep.stream().map(SweepRow::label).toList(),
                    List.of(dataset("items/s", sweep.stream().map(SweepRow::itemsPerSecond).toList(), null)), true));
        }
        page.notes(r.notes());
        return page.html();
    }

    static String loadtest(LoadTestReport r, Map<String, Double> serverFacts) {
        Page page = new Page("Load test: " + r.url());
        page.paragraph(String.format(Locale.ROOT, "%s loop, %s, %.1f s measured: %d requests (%d ok), %.1f requests/s, "
                        + "%.1f texts/s.", r.mode(), r.mode().equals("closed") ? r.concurrency() + " clients"
                        : r.targetRate() + " requests/s asked", r.seconds(), r.requests(), r.succeeded(),
                r.throughput(), r.textsPerSecond()));
        List<String> names = List.of("p50", "p90", "p99", "p99.9", "max");
        List<Double> values = List.of(r.percentileMillis(50), r.percentileMillis(90), r.percentileMillis(99),
                r.percentileMillis(99.9), r.maxMillis());
        page.chart(bar("Latency percentiles (ms) at " + String.format(Locale.ROOT, "%.1f", r.throughput())
                + " requests/s", names, List.of(dataset("ms", values, null)), false));
        page.chart(scatter("Throughput against latency percentile", List.of(
                new Point("p50", r.throughput(), r.percentileMillis(50)),
                new Point("p90", r.throughput(), r.percentileMillis(90)),
                new Point("p99", r.throughput(), r.percentileMillis(99)),
                new Point("p99.9", r.throughput(), r.percentileMillis(99.9))), "requests/s", "latency (ms)"));
        if (!serverFacts.isEmpty()) {
            StringBuilder facts = new StringBuilder("Server during the test (from /metrics): ");
            serverFacts.forEach((k, v) -> facts.append(k).append(' ')
                    .append(String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f" : "%.3f", v)).append("; "));
            page.paragraph(facts.toString());
        }
        if (!r.errors().isEmpty()) {
            page.paragraph("Errors by status: " + r.errors());
        }
        return page.html();
    }

    // ---------------------------------------------------------------------------------------------
    // Chart configurations (Chart.js's JSON, built with Jackson)

    record Point(String label, double x, double y) {
    }

    private static ObjectNode dataset(String label, List<Double> values, Object color) {
        ObjectNode d = JSON.createObjectNode().put("label", label);
        ArrayNode data = d.putArray("data");
        values.forEach(v -> data.add(Double.isFinite(v) ? v : 0));
        if (color instanceof String c) {
            d.put("backgroundColor", c);
        } else if (color instanceof List<?> colors) {
            ArrayNode a = d.putArray("backgroundColor");
            colors.forEach(c -> a.add(c.toString()));
        } else {
            d.put("backgroundColor", PALETTE[0]);
        }
        return d;
    }

    private static ObjectNode bar(String title, List<String> labels, List<ObjectNode> datasets, boolean horizontal) {
        ObjectNode c = JSON.createObjectNode().put("type", "bar");
        ObjectNode data = c.putObject("data");
        ArrayNode l = data.putArray("labels");
        labels.forEach(l::add);
        ArrayNode ds = data.putArray("datasets");
        datasets.forEach(ds::add);
        ObjectNode options = options(c, title, datasets.size() > 1);
        if (horizontal) {
            options.put("indexAxis", "y");
        }
        return c;
    }

    private static ObjectNode scatter(String title, List<Point> points, String xTitle, String yTitle) {
        ObjectNode c = JSON.createObjectNode().put("type", "scatter");
        ArrayNode ds = c.putObject("data").putArray("datasets");
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            ObjectNode d = ds.addObject().put("label", p.label()).put("backgroundColor", PALETTE[i % PALETTE.length])
                    .put("pointRadius", 5);
            d.putArray("data").addObject().put("x", p.x()).put("y", p.y());
        }
        ObjectNode options = options(c, title, true);
        ObjectNode scales = options.putObject("scales");
        scales.putObject("x").putObject("title").put("display", true).put("text", xTitle);
        scales.putObject("y").putObject("title").put("display", true).put("text", yTitle);
        return c;
    }

    private static ObjectNode options(ObjectNode chart, String title, boolean legend) {
        ObjectNode options = chart.putObject("options").put("animation", false).put("responsive", true)
                .put("maintainAspectRatio", false);
        ObjectNode plugins = options.putObject("plugins");
        plugins.putObject("title").put("display", true).put("text", title);
        plugins.putObject("legend").put("display", legend);
        return options;
    }

    private static String env(Map<String, String> environment) {
        List<String> parts = new ArrayList<>();
        environment.forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts) + ".";
    }

    // ---------------------------------------------------------------------------------------------
    // The page

    private static final class Page {
        private final String title;
        private final StringBuilder body = new StringBuilder();
        private final ArrayNode charts = JSON.createArrayNode();

        Page(String title) {
            this.title = title;
        }

        void heading(String text) {
            body.append("<h2>").append(escape(text)).append("</h2>\n");
        }

        void paragraph(String text) {
            body.append("<p>").append(escape(text)).append("</p>\n");
        }

        void notes(List<String> notes) {
            if (!notes.isEmpty()) {
                body.append("<ul class=\"notes\">\n");
                notes.forEach(n -> body.append("<li>").append(escape(n)).append("</li>\n"));
                body.append("</ul>\n");
            }
        }

        void chart(ObjectNode config) {
            int height = 120 + 22 * Math.max(labels(config), 4);
            body.append("<div class=\"chart\" style=\"height:").append(Math.min(height, 700))
                    .append("px\"><canvas id=\"chart-").append(charts.size()).append("\"></canvas></div>\n");
            charts.add(config);
        }

        private static int labels(ObjectNode config) {
            return Math.max(config.path("data").path("labels").size(), config.path("data").path("datasets").size());
        }

        String html() {
            String specs;
            try {
                specs = JSON.writeValueAsString(charts).replace("</", "<\\/");
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
            return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                    + "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
                    + ".chart{position:relative;margin:1em 0 2em}#script-errors{color:#b00}"
                    + ".notes{color:#555}</style>\n"
                    + "<script>window.onerror=function(message,source,line){var e=document.getElementById("
                    + "'script-errors');if(e){e.textContent+=message+' (line '+line+')\\n';}};</script>\n"
                    + "</head>\n<body>\n<h1>" + escape(title) + "</h1>\n"
                    + "<div id=\"render-status\" data-charts-expected=\"" + charts.size()
                    + "\" data-charts-drawn=\"0\"></div>\n<pre id=\"script-errors\"></pre>\n"
                    + body
                    + "<p class=\"notes\">Charts by Chart.js " + chartJsVersion() + " (MIT), included in this file.</p>\n"
                    + "<script>\n" + chartJs() + "\n</script>\n"
                    + "<script>\n(function(){var specs=" + specs + ";var drawn=0;"
                    + "var status=document.getElementById('render-status');"
                    + "var marker={id:'peregrineDrawn',afterRender:function(chart){if(!chart.$peregrineDrawn){"
                    + "chart.$peregrineDrawn=true;drawn++;status.setAttribute('data-charts-drawn',String(drawn));}}};"
                    + "specs.forEach(function(spec,i){spec.plugins=[marker];"
                    + "new Chart(document.getElementById('chart-'+i),spec);});})();\n</script>\n"
                    + "</body>\n</html>\n";
        }
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static volatile String chartJsSource;

    /** Chart.js's minified UMD build, read once from its WebJar on the class path. */
    static String chartJs() {
        String s = chartJsSource;
        if (s == null) {
            try (InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(CHART_JS)) {
                if (in == null) {
                    throw new IllegalStateException("Chart.js is missing from the class path (" + CHART_JS + ")");
                }
                s = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replaceAll("//# sourceMappingURL=\\S+\\s*$", "");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read Chart.js: " + e.getMessage(), e);
            }
            chartJsSource = s;
        }
        return s;
    }

    /** The WebJar's version, from its Maven properties (so an upgrade is only a pom change). */
    static String chartJsVersion() {
        try (InputStream in = HtmlReport.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("Chart.js's WebJar is missing from the class path");
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
