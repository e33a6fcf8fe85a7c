package dev.peregrine.server.http;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Inference under way for one request, and how to render its result. The request pipeline applies
 * the timeout to {@link #work} and cancels it when the client goes away, which drops the request's
 * texts from the batch queue.
 */
final class Pending {

    final CompletableFuture<?> work;
    private final Function<Object, Reply> render;

    private Pending(CompletableFuture<?> work, Function<Object, Reply> render) {
        this.work = work;
        this.render = render;
    }

    @SuppressWarnings("unchecked")
    static <T> Pending of(CompletableFuture<T> work, Function<? super T, Reply> render) {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(render, "render");
        return new Pending(work, value -> render.apply((T) value));
    }

    Reply render(Object value) {
        return render.apply(value);
    }
}
