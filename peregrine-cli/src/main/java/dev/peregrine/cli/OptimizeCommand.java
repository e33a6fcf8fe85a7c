package dev.peregrine.cli;

import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.tune.Autotuner;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Builds the variants, keeps the fastest that is faithful, and writes it with serving settings. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = {
            "Make a model as fast as it can be while it stays faithful: build float32-fused and INT8 variants, "
                    + "validate each against the original, time the ones that pass, sweep serving settings "
                    + "(instances x threads, spinning, max batch tokens) for the fastest, and write it with ONNX "
                    + "Runtime's pre-optimized graph (fast start-up) and a peregrine.json serving config that 'serve' "
                    + "reads. Prints what it chose and why, and on stderr each step as 'step k of n' with the time left."
        })
final class OptimizeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "New folder to write to.")
    Path out;

    @Mixin
    DataOptions data;

    @Mixin
    FidelityOptions fidelity;

    @Mixin
    TargetCpuOption targetCpu;

    @Option(names = "--passes", paramLabel = "N", defaultValue = "${env:PEREGRINE_BENCH_PASSES:-3}",
            description = "Measured passes per timing. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_BENCH_PASSES.")
    int passes;

    @Option(names = "--sweep", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Sweep serving settings (otherwise one instance on all cores). Default: on.")
    boolean sweep;

    @Option(names = "--time-budget", paramLabel = "TIME", converter = DurationConverter.class,
            description = "Most time to spend (30s, 10m, ...): once it is spent the serving sweep stops with the best "
                    + "setting so far; building, validating and timing the variants always finish. Default: none.")
    java.time.Duration timeBudget;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    @Override
    public void run() {
        if (passes < 1) {
            throw new IllegalArgumentException("--passes must be at least 1");
        }
        ModelFolder folder = source.folder();
        PrintWriter err = spec.commandLine().getErr();
        Autotuner.Result result = Autotuner.run(folder, out,
                new Autotuner.Options(fidelity.options(), data.texts(folder), DefaultTexts.calibration(), passes, sweep,
                        timeBudget, targetCpu.target()),
                line -> {
                    if (!noProgress) {
                        err.println("optimize: " + line);
                        err.flush();
                    }
                });
        PrintWriter o = spec.commandLine().getOut();
        result.lines().forEach(o::println);
        o.flush();
    }
}
