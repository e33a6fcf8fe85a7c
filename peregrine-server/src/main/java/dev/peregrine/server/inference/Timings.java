package dev.peregrine.server.inference;

/**
 * Where a request's time went, in nanoseconds.
 *
 * @param tokenizeNanos  tokenizing its texts
 * @param queueNanos     waiting for the first forward pass holding any of its texts
 * @param inferenceNanos from that pass's start to the end of the last pass holding any of its texts
 */
public record Timings(long tokenizeNanos, long queueNanos, long inferenceNanos) {

    public static final Timings NONE = new Timings(0, 0, 0);
}
