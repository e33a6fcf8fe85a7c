package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.optimize.bench.BenchReport;
import dev.peregrine.optimize.bench.Benchmark;
import dev.peregrine.optimize.bench.ReportFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The step-by-step benchmark table. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {
            "Measure, in one process on the same texts, what each optimization adds: baseline (one text at a time, "
                    + "graph optimization off, fp32) -> + batching -> + graph optimization -> + our transformer "
                    + "fusions -> + our INT8 -> + length-sorted batching; each row with items/s, ms per item, p50/p99 "
                    + "batch latency, speedup vs baseline and vs the row above, and fidelity vs fp32.",
            "--compare adds other models with the final row's settings (e.g. all-minilm-l6-v2-int8, the shipped "
                    + "Python-quantized model). A sweep of instances x threads, thread spinning and max batch tokens "
                    + "follows. Passes are interleaved across rows so background load affects all rows alike."
        })
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Mixin
    DataOptions data;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", converter = FormatConverter.class,
            description = "table, json or markdown. Default: ${DEFAULT-VALUE}.")
    ReportFormat format;

    @Option(names = "--compare", paramLabel = "DIR|NAME", split = ",",
            description = "Other models to measure with the final settings, side by side.")
    List<String> compare = new ArrayList<>();

    @Option(names = "--passes", paramLabel = "N", defaultValue = "${env:PEREGRINE_BENCH_PASSES:-3}",
            description = "Measured passes per row (the median counts). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_BENCH_PASSES.")
    int passes;

    @Option(names = "--sweep", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the serving sweep after the table. Default: on.")
    boolean sweep;

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

    @Option(names = "--output", paramLabel = "FILE", description = "Also write the report to this file.")
    Path output;

    @Option(names = "--quiet", description = "Do not print progress to stderr.")
    boolean quiet;

    @Override
    public void run() {
        if (passes < 1) {
            throw new IllegalArgumentException("--passes must be at least 1");
        }
        ModelFolder folder = source.folder();
        ModelResolver resolver = ModelResolver.standard();
        List<ModelFolder> others = compare.stream().map(resolver::resolve).toList();
        Benchmark.Options options = Benchmark.Options.defaults().withPasses(passes).withSweep(sweep)
                .withCompare(others).withLimits(maxBatchSize, maxBatchTokens, threads);
        PrintWriter err = spec.commandLine().getErr();
        Path work = null;
        try {
            work = Files.createTempDirectory("peregrine-bench");
            BenchReport report = Benchmark.run(folder, data.texts(), options, work, line -> {
                if (!quiet) {
                    err.println("bench: " + line);
                    err.flush();
                }
            });
            String text = format.render(report);
            PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
            if (output != null) {
                Files.writeString(output, text);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write benchmark files: " + e.getMessage(), e);
        } finally {
            delete(work);
        }
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot remove " + dir, e);
        }
    }

    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<ReportFormat> {
        @Override
        public ReportFormat convert(String value) {
            return ReportFormat.parse(value);
        }
    }
}
