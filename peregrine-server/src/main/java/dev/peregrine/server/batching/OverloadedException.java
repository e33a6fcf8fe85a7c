package dev.peregrine.server.batching;

/** The batcher's admission limit is reached: the caller should retry later. Thrown at once, never after waiting. */
public final class OverloadedException extends RuntimeException {

    public OverloadedException(String message) {
        super(message, null, false, false);
    }
}
