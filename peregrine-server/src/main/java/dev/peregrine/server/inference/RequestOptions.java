package dev.peregrine.server.inference;

/**
 * How one request wants its texts handled. Null fields take the server's or the model's default.
 *
 * @param truncate  cut texts longer than the model's limit (null: the server's {@code auto-truncate})
 * @param normalize scale embeddings to unit length (null: the model's default); ignored by classifiers
 * @param cache     may answers come from, and go into, the prediction cache (false for
 *                  {@code Cache-Control: no-cache} or {@code no-store})
 */
public record RequestOptions(Boolean truncate, Boolean normalize, boolean cache) {

    /** Every default, cache allowed. */
    public static final RequestOptions DEFAULTS = new RequestOptions(null, null, true);

    public static RequestOptions of(Boolean truncate, Boolean normalize) {
        return new RequestOptions(truncate, normalize, true);
    }

    public RequestOptions withCache(boolean value) {
        return new RequestOptions(truncate, normalize, value);
    }
}
