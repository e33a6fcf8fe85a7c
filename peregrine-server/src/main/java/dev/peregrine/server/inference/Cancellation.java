package dev.peregrine.server.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one way a request is called off: its deadline passed, its client went away, or the server
 * gave up on it. Made at the edge with the request and carried in its {@link ResolvedRequest}; the
 * edge calls {@link #cancel}, and every layer that started work for the request listens with
 * {@link #onCancel} (the batcher drops its texts not yet run, each layer fails its future with the
 * reason). Thread-safe; the first reason wins.
 */
public final class Cancellation {

    private final List<Consumer<Throwable>> listeners = new ArrayList<>(2);
    private volatile Throwable reason;

    /**
     * Cancels with {@code why} (a {@link java.util.concurrent.TimeoutException} for a deadline, a
     * {@link java.util.concurrent.CancellationException} for a client gone), running the listeners
     * on this thread.
     *
     * @return false when it was cancelled already
     */
    public boolean cancel(Throwable why) {
        Objects.requireNonNull(why, "why");
        List<Consumer<Throwable>> run;
        synchronized (listeners) {
            if (reason != null) {
                return false;
            }
            reason = why;
            run = List.copyOf(listeners);
            listeners.clear();
        }
        for (Consumer<Throwable> l : run) {
            l.accept(why);
        }
        return true;
    }

    public boolean isCancelled() {
        return reason != null;
    }

    /** Why it was cancelled, or null. */
    public Throwable reason() {
        return reason;
    }

    /** Runs {@code listener} with the reason when cancelled; at once, on this thread, if it already is. */
    public void onCancel(Consumer<Throwable> listener) {
        Objects.requireNonNull(listener, "listener");
        Throwable now;
        synchronized (listeners) {
            now = reason;
            if (now == null) {
                listeners.add(listener);
                return;
            }
        }
        listener.accept(now);
    }
}
