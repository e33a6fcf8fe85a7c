package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.loadtest.LoadTestReport;
import dev.peregrine.optimize.bench.BenchReport;
import dev.peregrine.optimize.bench.BenchRow;
import dev.peregrine.optimize.bench.CostTable;
import dev.peregrine.optimize.bench.SweepRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML reports open in a real headless Chromium (Debian's chromium package, which .ci/run
 * installs) and every chart draws without a script error. The page itself records both: Chart.js
 * sets {@code data-charts-drawn} after each chart's first render, and window.onerror writes into
 * {@code #script-errors}; the browser's DOM dump shows them.
 */
class HtmlReportTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern DRAWN = Pattern.compile("data-charts-expected=\"(\\d+)\" data-charts-drawn=\"(\\d+)\"");
    private static final Pattern ERRORS = Pattern.compile("<pre id=\"script-errors\">(.*?)</pre>", Pattern.DOTALL);

    @TempDir
    Path dir;

    @Test
    void profileReport_fromTheCommand_rendersEveryChart() throws Exception {
        Path data = Files.write(dir.resolve("texts.txt"), List.of("Where is my invoice?", "The app crashes on start.",
                "Please cancel my account.", "Das Produkt ist super.", "ok"));
        Path html = dir.resolve("profile.html");
        CliRun run = CliRun.of("profile", "--data", data.toString(), "--report", html.toString(), "--format", "markdown");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("| stage | ms | share |").contains("onnx runtime run").contains("MatMul");
        String page = Files.readString(html);
        assertThat(page).doesNotContain("src=\"http").contains("Chart.js").contains("window.Chart");
        assertRendersWithoutErrors(html, 6);
    }

    @Test
    void benchAndLoadtestReports_renderEveryChart() throws Exception {
        List<BenchRow> steps = List.of(new BenchRow("baseline", "fp32", 80, 12.5, 10, 14, 1, null, 1),
                new BenchRow("+ our INT8 <b>", "int8", 240, 4.2, 30, 41, 3, 3.0, 0.995));
        BenchReport bench = new BenchReport("all-minilm-l6-v2", 529, 20000, 128, 5000, 14, 1, Map.of("cpu", "test"), steps, List.of(),
                List.of(new SweepRow(2, 1, true, 512, 260, 28, 40)), List.of("a note </script>"), List.of());
        CostTable cost = CostTable.of(bench, List.of(new CostTable.Machine("this machine", 0.10, 0)), 50.0, 2);
        Path benchHtml = dir.resolve("bench.html");
        ReportOptions.write(benchHtml, HtmlReport.bench(bench, cost));
        assertThat(Files.readString(benchHtml)).contains("every row timed on the same 128 of the 529 texts");
        assertRendersWithoutErrors(benchHtml, 5);

        Histogram latency = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            latency.recordValue(1000L * i);
        }
        LoadTestReport load = new LoadTestReport("http://127.0.0.1:8080/embed", "closed", 8, 0, 10, 1000, 1000, 1,
                Map.of("200", 1000L), latency);
        Path loadHtml = dir.resolve("loadtest.html");
        ReportOptions.write(loadHtml, HtmlReport.loadtest(load, Map.of("forward passes", 120.0, "cache hit ratio", 0.0)));
        assertThat(Files.readString(loadHtml)).contains("forward passes 120");
        assertRendersWithoutErrors(loadHtml, 2);
    }

    @Test
    void aBrokenScript_isCaught_soTheCheckCanFail() throws Exception {
        Path html = dir.resolve("broken.html");
        String page = HtmlReport.loadtest(new LoadTestReport("http://h/embed", "closed", 1, 0, 1, 1, 1, 1, Map.of(),
                new Histogram(3)), Map.of()).replace("new Chart(", "new Chartz(");
        Files.writeString(html, page);
        String dom = dumpDom(html);
        assertThat(errors(dom)).contains("Chartz");
        assertThat(drawn(dom)).isZero();
    }

    private void assertRendersWithoutErrors(Path html, int charts) throws Exception {
        String dom = dumpDom(html);
        assertThat(errors(dom)).as("script errors").isEmpty();
        Matcher m = DRAWN.matcher(dom);
        assertThat(m.find()).as("render marker in " + dom.substring(0, Math.min(400, dom.length()))).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(charts);
        assertThat(Integer.parseInt(m.group(2))).as("charts drawn").isEqualTo(charts);
        assertThat(dom).contains("<canvas");
    }

    private static String errors(String dom) {
        Matcher m = ERRORS.matcher(dom);
        return m.find() ? m.group(1).strip() : "(no error element)";
    }

    private static int drawn(String dom) {
        Matcher m = DRAWN.matcher(dom);
        return m.find() ? Integer.parseInt(m.group(2)) : -1;
    }

    /** Loads the page in headless Chromium, lets its scripts run, and returns the DOM it ends with. */
    private String dumpDom(Path html) throws IOException, InterruptedException {
        assertThat(CHROMIUM).as("Debian's chromium package (.ci/run installs it)").isExecutable();
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom",
                html.toUri().toString()));
        Path out = dir.resolve("dom-" + html.getFileName() + ".txt");
        Path err = dir.resolve("chromium-" + html.getFileName() + ".log");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(err));
        }
        String dom = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        assertThat(dom).as(Files.readString(err)).contains("render-status");
        return dom;
    }
}
