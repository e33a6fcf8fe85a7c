package dev.peregrine.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code peregrine} command: prints help when run alone. Its subcommands: {@link #COMMANDS}. */
@Command(name = "peregrine",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Fast transformer text models (classifiers and embedders) on the JVM.")
public final class PeregrineCommand implements java.util.concurrent.Callable<Integer> {

    /** The subcommands, in the order help lists them ({@link Main#commandLine(String)} adds them). */
    static final java.util.List<Class<?>> COMMANDS = java.util.List.of(
            PredictCommand.class,
            InfoCommand.class,
            ModelsCommand.class,
            PullCommand.class,
            TrainCommand.class,
            DistillCommand.class,
            DriftReferenceCommand.class,
            ServeCommand.class,
            LoadtestCommand.class,
            OptimizeGraphCommand.class,
            QuantizeCommand.class,
            ValidateCommand.class,
            BenchCommand.class,
            ProfileCommand.class,
            OptimizeCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Show stack traces with error messages.")
    boolean verbose;

    /** Alone, the command prints its help (to stderr, as a usage error). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE.code();
    }
}
