package dev.peregrine.server.http;

import java.util.Objects;

/** A failure already classified for HTTP: what the routes throw for a bad request. */
public final class ApiException extends RuntimeException {

    private final ApiError error;

    public ApiException(ApiError error, String message) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.error = Objects.requireNonNull(error, "error");
    }

    public ApiError error() {
        return error;
    }
}
