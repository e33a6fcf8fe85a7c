package dev.peregrine.server.inference;

import java.util.concurrent.CompletableFuture;

/**
 * Cancelling a {@link CompletableFuture} does not reach the futures it was derived from, but the
 * batcher learns that a client has gone (or timed out) only through the future it returned. Layers
 * that wrap a service's future use this to pass cancellation, and any other failure of the outer
 * future, back down.
 */
final class Cancellation {

    private Cancellation() {
    }

    /** When {@code outer} fails (cancelled, timed out), cancels {@code inner} if it is still running. */
    static <T> CompletableFuture<T> propagate(CompletableFuture<T> outer, CompletableFuture<?> inner) {
        outer.whenComplete((value, error) -> {
            if (error != null && inner != null) {
                inner.cancel(false);
            }
        });
        return outer;
    }
}
