package dev.peregrine.cli;

import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.distill.TorchRuntime;
import dev.peregrine.optimize.bench.BenchReport;
import dev.peregrine.optimize.bench.Benchmark;
import dev.peregrine.optimize.bench.CoreScaling;
import dev.peregrine.optimize.bench.CostTable;
import dev.peregrine.optimize.bench.ReportFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The step-by-step benchmark table. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {
            "Measure, in one process on the same texts, what each optimization adds: PyTorch eager from the same "
                    + "weights (one text at a time, then batched; the seeds' baseline) -> ONNX Runtime baseline (one "
                    + "text at a time, graph optimization off, fp32) -> + batching -> + graph optimization -> + our transformer "
                    + "fusions -> + our INT8 -> + length-sorted batching [-> + distilled student, with --student]; each row with items/s, ms per item, p50/p99 "
                    + "batch latency, speedup vs the first row and vs the row above, and fidelity vs the first row (the teacher "
                    + "in fp32).",
            "--compare adds other models with the final row's settings (e.g. all-minilm-l6-v2-int8, the shipped "
                    + "Python-quantized model). A sweep of instances x threads, thread spinning and max batch tokens "
                    + "follows. Passes are interleaved across rows so background load affects all rows alike.",
            "--passes 1 is a quick look: every row is timed on the same sample of " + Benchmark.QUICK_TIMED_TEXTS
                    + " texts (--timed-texts), and fidelity is still judged on all texts; the table's first line "
                    + "says what was timed."
        })
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Mixin
    DataOptions data;

    @Mixin
    ReportOptions report;

    @Option(names = "--compare", paramLabel = "DIR|NAME", split = ",",
            description = "Other models to measure with the final settings, side by side.")
    List<String> compare = new ArrayList<>();

    @Option(names = "--student", paramLabel = "DIR|NAME",
            description = "A distilled student of the model (peregrine distill): its INT8 variant with the final "
                    + "settings is the table's last step, with its fidelity to the teacher.")
    String student;

    @Option(names = "--pytorch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Start the table with PyTorch eager rows (DJL, the model's own weights). Default: on.")
    boolean pytorch;

    @Option(names = "--passes", paramLabel = "N", defaultValue = "${env:PEREGRINE_BENCH_PASSES:-3}",
            description = "Measured passes per row (the median counts). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_BENCH_PASSES.")
    int passes;

    @Option(names = "--timed-texts", paramLabel = "N", defaultValue = "${env:PEREGRINE_BENCH_TIMED_TEXTS}",
            description = "Texts each row of the table is timed on: a fixed, seeded sample following the data's "
                    + "lengths, the same for every row (the sweep times all texts); fidelity is judged on all texts "
                    + "either way. 0 = all. Default: " + Benchmark.QUICK_TIMED_TEXTS + " with --passes 1 (a quick "
                    + "look), all with more passes. Env: PEREGRINE_BENCH_TIMED_TEXTS.")
    Integer timedTexts;

    @Option(names = "--sweep", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the serving sweep after the table. Default: on.")
    boolean sweep;

    @Option(names = "--core-scaling", description = "Also measure the INT8 model on 1..N cores of this machine "
            + "(threads in one session, then single-threaded sessions), to project to larger machines.")
    boolean coreScaling;

    @Option(names = "--price-per-hour", paramLabel = "USD",
            description = "Price of this machine per hour: adds the cost of 1,000 inferences to every row.")
    Double pricePerHour;

    @Option(names = "--prices", paramLabel = "FILE",
            description = "Machine types and prices: CSV with columns machine,usd_per_hour[,cores], or lines "
                    + "'MACHINE USD_PER_HOUR [CORES]'. Other core counts are projected from --core-scaling.")
    Path prices;

    @Option(names = "--slo-p99", paramLabel = "MS",
            description = "Latency objective: name the cheapest setting whose p99 batch latency is within MS.")
    Double sloP99;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:PEREGRINE_THREADS:-0}",
            description = "ONNX Runtime intra-op threads for the table's rows; 0 = one per core. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_THREADS.")
    int threads;

    @Option(names = "--max-batch-size", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_SIZE:-" + EngineOptions.DEFAULT_MAX_BATCH_SIZE + "}",
            description = "Texts per forward pass in batched rows. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_BATCH_SIZE.")
    int maxBatchSize;

    @Option(names = "--max-batch-tokens", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_TOKENS:-" + EngineOptions.DEFAULT_MAX_BATCH_TOKENS + "}",
            description = "Padded tokens per forward pass in batched rows. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_BATCH_TOKENS.")
    int maxBatchTokens;

    @Override
    public void run() {
        if (passes < 1) {
            throw new IllegalArgumentException("--passes must be at least 1");
        }
        if (timedTexts != null && timedTexts < 0) {
            throw new IllegalArgumentException("--timed-texts must be 0 (all) or more");
        }
        if (pricePerHour != null && prices != null) {
            throw new IllegalArgumentException("give --price-per-hour or --prices, not both");
        }
        if (sloP99 != null && pricePerHour == null && prices == null) {
            throw new IllegalArgumentException("--slo-p99 needs --price-per-hour or --prices");
        }
        List<CostTable.Machine> machines = prices != null ? CostTable.readPrices(prices)
                : pricePerHour != null ? List.of(new CostTable.Machine("this machine", pricePerHour, 0)) : List.of();
        ModelFolder folder = source.folder();
        ModelResolver resolver = ModelResolver.standard();
        List<ModelFolder> others = compare.stream().map(resolver::resolve).toList();
        Benchmark.Options options = Benchmark.Options.defaults().withPasses(passes).withSweep(sweep)
                .withCompare(others).withLimits(maxBatchSize, maxBatchTokens, threads).withCoreScaling(coreScaling)
                .withEager(pytorch ? new TorchRuntime(threads) : null)
                .withStudent(student == null ? null : resolver.resolve(student))
                .withTimedTexts(timedTexts != null ? timedTexts : Benchmark.Options.defaultTimedTexts(passes));
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        Path work = null;
        try {
            work = Files.createTempDirectory("peregrine-bench");
            BenchReport result = Benchmark.run(folder, data.texts(folder), options, work, line -> {
                if (!report.noProgress) {
                    err.printf(java.util.Locale.ROOT, "bench [%s]: %s%n",
                            Progress.duration((System.nanoTime() - start) / 1e9), line);
                    err.flush();
                }
            });
            CostTable cost = machines.isEmpty() ? null
                    : CostTable.of(result, machines, sloP99, Runtime.getRuntime().availableProcessors());
            report.print(spec, render(result, cost));
            report.writeHtml(err, () -> HtmlReport.bench(result, cost));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write benchmark files: " + e.getMessage(), e);
        } finally {
            Files2.deleteTree(work);
        }
    }

    private String render(BenchReport result, CostTable cost) {
        if (report.format == ReportFormat.JSON) {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
            com.fasterxml.jackson.databind.node.ObjectNode tree = json.valueToTree(result);
            if (cost != null) {
                tree.set("cost", json.valueToTree(cost));
            }
            try {
                return json.writeValueAsString(tree) + "\n";
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
        boolean md = report.format == ReportFormat.MARKDOWN;
        StringBuilder text = new StringBuilder(report.format.render(result));
        if (!result.scaling().isEmpty()) {
            text.append(CoreScaling.render(result.scaling(), Runtime.getRuntime().availableProcessors(), md));
        }
        if (cost != null) {
            text.append(cost.render(md));
        }
        return text.toString();
    }

    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<ReportFormat> {
        @Override
        public ReportFormat convert(String value) {
            return ReportFormat.parse(value);
        }
    }
}
