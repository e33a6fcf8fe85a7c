package dev.peregrine.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of the {@code peregrine} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        JsonLogs.routeJavaUtilLogging();
        dev.peregrine.server.startup.StartupReport.mainEntered();
        PrintWriter err = Progress.TerminalWriter.stderrIsTerminal()
                ? new Progress.TerminalWriter(new java.io.OutputStreamWriter(System.err, java.nio.charset.Charset.defaultCharset()))
                : new PrintWriter(System.err, true);
        int code = run(new PrintWriter(System.out, true), err, args);
        System.exit(code);
    }

    /** Runs one command line with the given streams and returns its exit code (tests call this). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(args.length > 0 ? args[0] : null);
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    /** Bad flags: one line saying what is wrong and where help is, not the whole manual. */
    private static int usageError(picocli.CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText("peregrine: " + ex.getMessage()));
        picocli.CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCode.USAGE.code();
    }

    /** The whole command line, every command in it. */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line for running {@code command}: picocli builds its model of a command by
     * reflection over every option of it, and building all fifteen to run one cost {@code serve}
     * about 0.3-0.5 s of its start-up (its flags alone: a fifth of that). When {@code command} names
     * none of them (help, a typo, an option), every command is there, for help and suggestions.
     */
    static CommandLine commandLine(String command) {
        CommandLine cli = new CommandLine(new PeregrineCommand());
        Class<?> only = null;
        for (Class<?> c : PeregrineCommand.COMMANDS) {
            if (c.getAnnotation(picocli.CommandLine.Command.class).name().equals(command)) {
                only = c;
            }
        }
        for (Class<?> c : PeregrineCommand.COMMANDS) {
            if (only == null || c == only) {
                cli.addSubcommand(c);
            }
        }
        // Settings after the subcommands: picocli applies them to those already added.
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(new ErrorReporter());
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setUsageHelpAutoWidth(true);
        EnvDefaults.install(cli, System::getenv);   // an empty environment variable counts as unset
        return cli;
    }
}
