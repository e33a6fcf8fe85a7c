package dev.peregrine.core;

import java.util.Objects;

/**
 * The one unchecked exception of the core layer. Every failure a user can cause or fix carries an
 * {@link ErrorKind} and a message written for that user (one line, naming the file, model or text at
 * fault), so that callers can report it without a stack trace.
 */
public class PeregrineException extends RuntimeException {

    private final ErrorKind kind;

    public PeregrineException(ErrorKind kind, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public PeregrineException(ErrorKind kind, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** What kind of failure this is; never null. */
    public ErrorKind kind() {
        return kind;
    }
}
