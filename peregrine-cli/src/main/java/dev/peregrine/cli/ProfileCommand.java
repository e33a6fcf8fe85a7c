package dev.peregrine.cli;

import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.optimize.bench.ReportFormat;
import dev.peregrine.optimize.profile.ProfileReport;
import dev.peregrine.optimize.profile.ProfileText;
import dev.peregrine.optimize.profile.Profiler;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where a model's time goes, before optimizing anything. */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {
            "Show where the time goes: for one text at a time and for length-sorted batches, the pipeline's stages "
                    + "(tokenization, input tensors, ONNX Runtime run, pooling, output) with their share of the "
                    + "measured total, the padding share, and inside the run the time per operator type and per "
                    + "transformer block from ONNX Runtime's own profiler, with the share in matrix products.",
            "Profile first: if tokenization or output dominates, a faster graph will not help; if MatMul does, "
                    + "INT8 (peregrine quantize) will."
        })
final class ProfileCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Mixin
    DataOptions data;

    @Mixin
    ReportOptions report;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:PEREGRINE_THREADS:-0}",
            description = "ONNX Runtime intra-op threads; 0 = one per core. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_THREADS.")
    int threads;

    @Option(names = "--max-batch-size", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_SIZE:-" + EngineOptions.DEFAULT_MAX_BATCH_SIZE + "}",
            description = "Most texts in one forward pass (batched mode). Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_MAX_BATCH_SIZE.")
    int maxBatchSize;

    @Option(names = "--max-batch-tokens", paramLabel = "N",
            defaultValue = "${env:PEREGRINE_MAX_BATCH_TOKENS:-" + EngineOptions.DEFAULT_MAX_BATCH_TOKENS + "}",
            description = "Most padded tokens (texts x longest) in one forward pass (batched mode). "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_BATCH_TOKENS.")
    int maxBatchTokens;

    @Option(names = "--single-texts", paramLabel = "N", defaultValue = "0",
            description = "How many of the texts the one-at-a-time mode runs; 0 = all. Default: ${DEFAULT-VALUE}.")
    int singleTexts;

    @Override
    public void run() {
        if (maxBatchSize < 1 || maxBatchTokens < 1 || threads < 0 || singleTexts < 0) {
            throw new IllegalArgumentException("--max-batch-size and --max-batch-tokens must be at least 1, "
                    + "--threads and --single-texts at least 0");
        }
        ModelFolder folder = source.folder();
        List<String> texts = data.texts(folder);
        PrintWriter err = spec.commandLine().getErr();
        Profiler.Options options = Profiler.Options.defaults().withLimits(maxBatchSize, maxBatchTokens, threads)
                .withSingleTexts(singleTexts);
        Path work = null;
        try {
            work = Files.createTempDirectory("peregrine-profile");
            ProfileReport result = Profiler.run(folder, texts, options, work, line -> {
                if (!report.noProgress) {
                    err.println("profile: " + line);
                    err.flush();
                }
            });
            report.print(spec, ProfileText.render(result, report.format));
            report.writeHtml(err, () -> HtmlReport.profile(result));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write profile files: " + e.getMessage(), e);
        } finally {
            Files2.deleteTree(work);
        }
    }
}
