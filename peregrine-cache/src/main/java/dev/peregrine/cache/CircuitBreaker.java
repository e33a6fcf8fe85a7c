package dev.peregrine.cache;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * Decides whether a request may use Redis, so that a Redis that keeps failing costs nothing.
 *
 * <ul>
 *   <li>closed: every request may; {@code threshold} failures in a row open it.</li>
 *   <li>open: nobody may, for {@code backoff}; then the first request to ask becomes the probe.</li>
 *   <li>half-open: only the probe is in flight; its success closes the circuit, its failure
 *       opens it for another {@code backoff}.</li>
 * </ul>
 *
 * Thread-safe: transitions hold this object's lock; the closed-circuit fast path is one volatile read.
 *
 * <p>{@link #onFailure()} and {@link #onSuccess()} say when an outage begins (closed to open) and
 * when it ends (back to closed), exactly once each way however many probes fail in between, so
 * the caller can log one line each way.
 */
final class CircuitBreaker {

    enum State { CLOSED, OPEN, HALF_OPEN }

    private final Ticker ticker;
    private final long backoffNanos;
    private final int threshold;

    private volatile State state = State.CLOSED;
    private volatile int failures;
    private long openedAt;

    CircuitBreaker(Ticker ticker, long backoffNanos, int threshold) {
        this.ticker = ticker;
        this.backoffNanos = backoffNanos;
        this.threshold = threshold;
    }

    /** Whether a read may go to Redis now; true at most once per backoff while the circuit is open. */
    boolean tryAcquire() {
        if (state == State.CLOSED) {
            return true;
        }
        synchronized (this) {
            if (state == State.OPEN && ticker.read() - openedAt >= backoffNanos) {
                state = State.HALF_OPEN;
                return true;
            }
            return state == State.CLOSED;
        }
    }

    /** Whether writes may go to Redis: only while closed (a probe is a read). */
    boolean isClosed() {
        return state == State.CLOSED;
    }

    State state() {
        return state;
    }

    /** @return true when this success ended an outage (the circuit was open or probing) */
    boolean onSuccess() {
        if (state == State.CLOSED && failures == 0) {
            return false;
        }
        synchronized (this) {
            boolean recovered = state != State.CLOSED;
            failures = 0;
            state = State.CLOSED;
            return recovered;
        }
    }

    /** @return true when this failure began an outage (the circuit was closed and is now open) */
    boolean onFailure() {
        synchronized (this) {
            switch (state) {
                case HALF_OPEN -> open();
                case CLOSED -> {
                    failures++;
                    if (failures >= threshold) {
                        open();
                        return true;
                    }
                }
                case OPEN -> {
                    // A call made before the circuit opened: it changes nothing.
                }
            }
            return false;
        }
    }

    private void open() {
        state = State.OPEN;
        openedAt = ticker.read();
        failures = 0;
    }
}
