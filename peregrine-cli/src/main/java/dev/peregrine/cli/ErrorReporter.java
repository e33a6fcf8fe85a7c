package dev.peregrine.cli;

import dev.peregrine.core.PeregrineException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The one place where failures become what the user sees: one line on stderr and an exit code.
 * Stack traces are shown only for bugs, or for everything with {@code --verbose}.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        boolean verbose = parseResult.hasMatchedOption("--verbose") || isVerbose(parseResult);
        ExitCode code;
        String message;
        if (ex instanceof PeregrineException pe) {
            code = ExitCode.of(pe.kind());
            message = pe.getMessage();
        } else if (ex instanceof CheckFailedException) {
            code = ExitCode.CHECK_FAILED;
            message = ex.getMessage();
        } else if (ex instanceof IllegalArgumentException) {
            code = ExitCode.USAGE;
            message = ex.getMessage();
        } else if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            code = ExitCode.IO;
            message = ex.getMessage();
        } else {
            code = ExitCode.INTERNAL;
            message = "internal error (" + ex.getClass().getSimpleName() + "): " + ex.getMessage()
                    + (verbose ? "" : "; run with --verbose for details");
            verbose = true;
        }
        err.println(commandLine.getColorScheme().errorText("peregrine: " + message));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code.code();
    }

    private static boolean isVerbose(ParseResult result) {
        for (ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
