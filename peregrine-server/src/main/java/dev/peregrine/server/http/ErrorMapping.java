package dev.peregrine.server.http;

import dev.peregrine.core.PeregrineException;
import dev.peregrine.server.inference.ModelNotReadyException;
import dev.peregrine.server.inference.ServiceException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures of every layer become an HTTP status and error type. */
public final class ErrorMapping {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {
    }

    /** Classifies any failure; bugs are logged with their stack trace and answered 500 without details. */
    public static ApiException of(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ApiException api) {
            return api;
        }
        if (e instanceof PeregrineException pe) {
            ApiError error = switch (pe.kind()) {
                case MODEL_NOT_FOUND -> ApiError.NOT_FOUND;
                case INVALID_INPUT, INPUT_TOO_LONG, WRONG_TASK -> ApiError.VALIDATION;
                case INFERENCE_FAILED, MODEL_INVALID, DOWNLOAD_FAILED, IO -> ApiError.BACKEND;
            };
            if (error == ApiError.BACKEND) {
                LOG.error("inference failed", pe);
            }
            return new ApiException(error, pe.getMessage());
        }
        if (e instanceof ServiceException.Overloaded) {
            return new ApiException(ApiError.OVERLOADED, e.getMessage());
        }
        if (e instanceof ModelNotReadyException) {
            return new ApiException(ApiError.UNHEALTHY, e.getMessage());
        }
        if (e instanceof ServiceException.ShuttingDown) {
            return new ApiException(ApiError.UNHEALTHY, e.getMessage());
        }
        if (e instanceof TimeoutException) {
            return new ApiException(ApiError.TIMEOUT, "the request was not answered within the request timeout");
        }
        if (e instanceof CancellationException) {
            return new ApiException(ApiError.UNHEALTHY, "the request was cancelled");
        }
        LOG.error("internal error", e);
        return new ApiException(ApiError.INTERNAL, "internal error (" + e.getClass().getSimpleName() + ")");
    }
}
