package dev.peregrine.cli;

import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.loadtest.LoadGenerator;
import dev.peregrine.loadtest.LoadTestConfig;
import dev.peregrine.loadtest.LoadTestReport;
import dev.peregrine.loadtest.MetricsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code peregrine loadtest}: closed- or open-loop HTTP load, with HdrHistogram latencies. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send load to a Peregrine (or text-embeddings-inference/OpenAI-compatible) endpoint and report "
                + "throughput, latency percentiles (p50/p90/p99/p99.9/max), errors by status, and the server's forward "
                + "passes and cache hit ratio from its /metrics.",
            "--concurrency N: closed loop (N clients back to back). --rate R: open loop (R requests/s on a fixed "
                + "schedule; latency counted from each request's intended send time, so queueing is not hidden). "
                + "Requests send Cache-Control: no-cache unless --server-cache, so the model is measured."})
final class LoadtestCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "The endpoint, e.g. http://127.0.0.1:8080/embed. The body format follows the path: "
                    + "/embed, /predict, /classify, /v1/embeddings, /v2/models/NAME/infer.")
    URI url;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N", description = "Closed loop with N clients.")
    Integer concurrency;

    @Option(names = {"-r", "--rate"}, paramLabel = "R", description = "Open loop at R requests per second.")
    Double rate;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to measure (500ms, 30s, 2m or seconds). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "TIME", defaultValue = "0s", converter = DurationConverter.class,
            description = "Load sent first and not measured. Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
            description = "Texts to send, cycled: one per line (.txt), JSONL or CSV with a 'text' column. "
                    + "Default: a dozen built-in support-ticket sentences.")
    Path input;

    @Option(names = "--texts-per-request", paramLabel = "N", defaultValue = "1",
            description = "Texts in each request. Default: ${DEFAULT-VALUE}.")
    int textsPerRequest;

    @Option(names = {"-m", "--model"}, paramLabel = "NAME",
            description = "The model field to send (needed by /v1/embeddings clients). Default: none (the server's default).")
    String model;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PEREGRINE_API_KEY}",
            description = "Bearer token to send. Default: none. Env: PEREGRINE_API_KEY.")
    String apiKey;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "10000",
            description = "Open loop: most requests outstanding (the schedule waits beyond it, and that wait counts "
                    + "in the latencies). Default: ${DEFAULT-VALUE}.")
    int maxInFlight;

    @Option(names = "--timeout", paramLabel = "TIME", defaultValue = "60s", converter = DurationConverter.class,
            description = "Per-request timeout. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--json", description = "Print the report as JSON instead of a table.")
    boolean json;

    @Option(names = "--server-cache", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Let the server's prediction cache answer repeated texts. Default: off: every request "
                    + "sends Cache-Control: no-cache, so the model itself is measured.")
    boolean serverCache;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report with charts (works offline).")
    Path report;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    Path output;

    @Override
    public Integer call() throws InterruptedException {
        if ((concurrency == null) == (rate == null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --concurrency N or --rate R");
        }
        List<String> texts = input == null ? LoadTestConfig.defaultTexts()
                : TextDataFile.at(input).build().readAll().stream().map(TextRecord::text).toList();
        LoadTestConfig config = new LoadTestConfig(url, concurrency == null ? 0 : concurrency, rate == null ? 0 : rate,
                duration, warmup, texts, textsPerRequest, model, apiKey, maxInFlight, timeout, !serverCache);
        Optional<MetricsSnapshot> before = MetricsSnapshot.scrape(url, apiKey);
        LoadTestReport report = new LoadGenerator(config).run();
        Map<String, Double> server = before.flatMap(b -> MetricsSnapshot.scrape(url, apiKey)
                .map(a -> MetricsSnapshot.difference(b, a))).orElse(Map.of());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() + System.lineSeparator() : report.toTable());
        if (!json) {
            out.println(serverLine(server, report));
        }
        out.flush();
        if (this.report != null) {
            ReportOptions.write(this.report, HtmlReport.loadtest(report, server));
            spec.commandLine().getErr().println("report: " + this.report.toAbsolutePath());
        }
        if (output != null) {
            try {
                Path parent = output.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(output, report.toJson() + System.lineSeparator(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
            }
        }
        return report.succeeded() > 0 ? ExitCode.OK.code() : ExitCode.CHECK_FAILED.code();
    }

    /** What the server did during the test, so a cache-served result is not mistaken for model speed. */
    private String serverLine(Map<String, Double> server, LoadTestReport report) {
        if (server.isEmpty()) {
            return "server: no Peregrine /metrics at " + url.resolve("/metrics") + " (cache and forward passes unknown)";
        }
        return String.format(java.util.Locale.ROOT, "server: %.0f forward passes, %.0f cache lookups, cache hit ratio "
                        + "%.3f%s", server.get("forward passes"), server.get("cache lookups"), server.get("cache hit ratio"),
                serverCache ? "" : " (requests sent Cache-Control: no-cache)");
    }
}
