package dev.peregrine.server.inference;

import dev.peregrine.server.tracing.RequestTrace;
import java.util.Objects;

/**
 * How one request wants its texts handled. Null fields take the server's or the model's default.
 *
 * @param truncate      cut texts longer than the model's limit (null: the server's {@code auto-truncate})
 * @param normalize     scale embeddings to unit length (null: the model's default); ignored by classifiers
 * @param cache         may answers come from, and go into, the prediction cache (false for
 *                      {@code Cache-Control: no-cache} or {@code no-store})
 * @param deadlineNanos when the answer is due, on the {@link System#nanoTime()} scale (one deadline,
 *                      set at the edge, carried through tokenization and the queue); work past it is
 *                      dropped and the request fails with a {@link java.util.concurrent.TimeoutException}.
 *                      {@link #NO_DEADLINE} for none
 * @param trace         where the layers report their steps for the request's span
 *                      ({@link RequestTrace#NOOP} when tracing is off)
 */
public record RequestOptions(Boolean truncate, Boolean normalize, boolean cache, long deadlineNanos, RequestTrace trace) {

    public RequestOptions {
        Objects.requireNonNull(trace, "trace");
    }

    /** Not traced. */
    public RequestOptions(Boolean truncate, Boolean normalize, boolean cache, long deadlineNanos) {
        this(truncate, normalize, cache, deadlineNanos, RequestTrace.NOOP);
    }

    /** The deadline of a request that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /** Every default, cache allowed, no deadline. */
    public static final RequestOptions DEFAULTS = new RequestOptions(null, null, true);

    /** Without a deadline. */
    public RequestOptions(Boolean truncate, Boolean normalize, boolean cache) {
        this(truncate, normalize, cache, NO_DEADLINE);
    }

    public static RequestOptions of(Boolean truncate, Boolean normalize) {
        return new RequestOptions(truncate, normalize, true);
    }

    public RequestOptions withCache(boolean value) {
        return new RequestOptions(truncate, normalize, value, deadlineNanos, trace);
    }

    public RequestOptions withDeadline(long nanos) {
        return new RequestOptions(truncate, normalize, cache, nanos, trace);
    }
}
