package dev.peregrine.cli;

/**
 * A command ran to completion but its check failed (for example a candidate model below the
 * fidelity bar). Its message is the verdict; the exit code is {@link ExitCode#CHECK_FAILED}.
 */
public final class CheckFailedException extends RuntimeException {
    public CheckFailedException(String message) {
        super(message);
    }
}
