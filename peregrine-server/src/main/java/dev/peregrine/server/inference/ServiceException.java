package dev.peregrine.server.inference;

/**
 * The service layer's own failures (besides the core's {@link dev.peregrine.core.PeregrineException}
 * for unknown models, wrong tasks, texts too long and failed passes): the HTTP layer maps these,
 * never the batcher's exceptions.
 */
public abstract sealed class ServiceException extends RuntimeException
        permits ServiceException.Overloaded, ServiceException.ShuttingDown, ModelNotReadyException {

    ServiceException(String message) {
        super(message, null, false, false);
    }

    /** Too much work admitted for this request to finish in time: retry later. Raised at once, never after waiting. */
    public static final class Overloaded extends ServiceException {
        public Overloaded(String message) {
            super(message);
        }
    }

    /** The service is shutting down and takes no new work (work admitted before still completes). */
    public static final class ShuttingDown extends ServiceException {
        public ShuttingDown(String message) {
            super(message);
        }
    }
}
