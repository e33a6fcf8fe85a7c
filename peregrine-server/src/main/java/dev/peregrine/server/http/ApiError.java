package dev.peregrine.server.http;

/**
 * Every way a request can fail, with its HTTP status and the {@code error_type} of the JSON error
 * body ({@code {"error": "...", "error_type": "Validation"}}, text-embeddings-inference's shape).
 * A client's mistake is always a 4xx; only a fault of the server is a 5xx.
 */
public enum ApiError {
    /** The body is not JSON. */
    MALFORMED(400, "Validation"),
    /** No texts, or an empty text. */
    EMPTY(400, "Empty"),
    /** No or a wrong Bearer token. */
    UNAUTHORIZED(401, "Unauthorized"),
    /** Unknown route or model. */
    NOT_FOUND(404, "NotFound"),
    /** The route exists for other methods. */
    METHOD_NOT_ALLOWED(405, "MethodNotAllowed"),
    /** The request's headers or body did not arrive within their timeout. */
    REQUEST_TIMEOUT(408, "RequestTimeout"),
    /** The body is larger than the limit (after decompression, for a compressed body). */
    PAYLOAD_TOO_LARGE(413, "PayloadTooLarge"),
    /** The request line (URI) is longer than the HTTP server takes. */
    URI_TOO_LONG(414, "UriTooLong"),
    /** A {@code Content-Encoding} other than gzip or identity. */
    UNSUPPORTED_MEDIA_TYPE(415, "UnsupportedMediaType"),
    /** Well-formed JSON with wrong types or values: too many texts, a text too long, a wrong task. */
    VALIDATION(422, "Validation"),
    /** The request's headers are larger than the HTTP server takes. */
    HEADERS_TOO_LARGE(431, "HeadersTooLarge"),
    /** Too much work queued or too many requests in progress; retry after the Retry-After header. */
    OVERLOADED(429, "Overloaded"),
    /** Inference failed inside the engine. */
    BACKEND(500, "Backend"),
    /** A bug. */
    INTERNAL(500, "Internal"),
    /** Loading or shutting down; retry after the Retry-After header (on another replica). */
    UNHEALTHY(503, "Unhealthy"),
    /** Not answered within the request timeout. */
    TIMEOUT(504, "Timeout");

    private final int status;
    private final String type;

    ApiError(int status, String type) {
        this.status = status;
        this.type = type;
    }

    public int status() {
        return status;
    }

    /** The {@code error_type} value. */
    public String type() {
        return type;
    }
}
