package dev.peregrine.server.tracing;

import dev.peregrine.server.batching.PassObserver;

/**
 * One request's trace: its SERVER span and what its layers report about it. Every layer that does
 * work for a request reports it here with {@link System#nanoTime()} timestamps it already takes; the
 * child spans are made from them when the request ends, off the batcher's workers.
 *
 * <p>{@link #NOOP} (tracing off) does nothing, and {@link #recording()} is false, so callers skip
 * even reading the clock for it. Implementations are thread-safe: the event loop, the request pool
 * and the batcher's workers all report to one request's trace.
 */
public interface RequestTrace extends PassObserver {

    /** Tracing and the access log are off: every method does nothing. */
    RequestTrace NOOP = new RequestTrace() { };

    /** Whether the layers should report to it (the request's span is recorded). */
    default boolean recording() {
        return false;
    }

    /** The texts the request asked for, said once, where the request is resolved (later calls are ignored). */
    default void texts(int count) {
    }

    /** Its texts were tokenized between these times. */
    default void tokenized(String model, long startNanos, long endNanos, int texts, long tokens) {
    }

    /** The prediction cache was asked for its texts between these times. */
    default void cacheLookup(String model, long startNanos, long endNanos, int hits, int misses) {
    }

    /** Its texts waited in the model's queue from {@code startNanos} until its first forward pass. */
    default void queued(String model, long startNanos, long endNanos) {
    }

    /** A forward pass ran some of its texts (on a batcher worker). */
    @Override
    default void pass(long batchId, int texts, int longest, int ownTexts, long startNanos, long endNanos) {
    }

    /** Its answer was rendered to JSON between these times. */
    default void serialized(long startNanos, long endNanos) {
    }

    /**
     * Makes the request's span current on this thread (for logs that carry its trace id) until the
     * returned scope is closed, on the same thread.
     */
    default Scope activate() {
        return Scope.NONE;
    }

    /**
     * The {@code traceresponse} header value (W3C Trace Context level 2: version, trace id, this
     * server's span id, flags), or null when there is no span.
     */
    default String traceResponse() {
        return null;
    }

    /**
     * The response has been written (or the request abandoned): ends the span and emits its children.
     *
     * @param status    the HTTP status sent
     * @param route     the route template ({@code /v2/models/{name}/infer}), or {@code unmatched}
     * @param model     the model that answered, or empty
     * @param errorType the error type of the JSON error body, or null
     */
    default void end(int status, String route, String model, String errorType) {
    }

    /** What {@link #activate()} returns: closes without throwing. */
    @FunctionalInterface
    interface Scope extends AutoCloseable {
        Scope NONE = () -> { };

        @Override
        void close();
    }
}
