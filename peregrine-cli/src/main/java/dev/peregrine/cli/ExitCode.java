package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;

/** The exit codes of the peregrine command, one per kind of failure; documented in the README. */
public enum ExitCode {
    OK(0),
    /** A bug: something failed that no user input should make fail. */
    INTERNAL(1),
    /** Bad flags or arguments (picocli's own usage errors use this code too). */
    USAGE(2),
    /** The model cannot be found, loaded or used for the task. */
    MODEL(3),
    /** The input data is missing, empty or malformed. */
    INPUT(4),
    /** A download failed. */
    DOWNLOAD(5),
    /** A check ran and failed (for example a fidelity threshold). */
    CHECK_FAILED(6),
    /** Files could not be written or read. */
    IO(7);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The one mapping from core error kinds to exit codes. */
    public static ExitCode of(ErrorKind kind) {
        return switch (kind) {
            case MODEL_NOT_FOUND, MODEL_INVALID, WRONG_TASK -> MODEL;
            case INVALID_INPUT, INPUT_TOO_LONG -> INPUT;
            case INFERENCE_FAILED -> INTERNAL;
            case DOWNLOAD_FAILED -> DOWNLOAD;
            case IO -> IO;
        };
    }
}
