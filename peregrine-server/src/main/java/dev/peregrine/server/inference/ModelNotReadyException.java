package dev.peregrine.server.inference;

/**
 * A request named (or, by its task, meant) a model that is still loading in the background, or
 * whose background load failed: the server answers 503 with {@code Retry-After}, as for any
 * not-ready state, and its other models go on answering.
 */
public final class ModelNotReadyException extends ServiceException {

    public ModelNotReadyException(String message) {
        super(message);
    }
}
