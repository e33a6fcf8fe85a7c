package dev.peregrine.server.batching;

/**
 * A source of nanosecond time for the batcher's waiting policy ({@code max_queue_delay}) and its
 * timings. Injected so that tests of the policy move time by hand instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long read();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
