package dev.peregrine.server.batching;

/** The batcher is shutting down and admits no new work (work admitted before still completes). */
public final class BatcherClosedException extends RuntimeException {

    public BatcherClosedException(String message) {
        super(message, null, false, false);
    }
}
