package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import dev.peregrine.server.tracing.RequestTrace;
import java.util.List;
import java.util.Objects;

/**
 * One request, resolved once at the edge: everything the layers below need, nothing left to look
 * up or default. It travels down the whole stack unchanged (the cache sends on a copy holding only
 * the texts it could not answer).
 *
 * @param model         the served model, found once
 * @param texts         the texts, in request order, at least one
 * @param options       concrete options
 * @param deadlineNanos when the answer is due, on the {@link System#nanoTime()} scale; work past it
 *                      is dropped and the request fails with a {@link java.util.concurrent.TimeoutException}.
 *                      {@link #NO_DEADLINE} for none
 * @param cancellation  how the edge calls the request off
 * @param trace         where the layers report their steps for the request's span
 *                      ({@link RequestTrace#NOOP} when tracing is off)
 */
public record ResolvedRequest(ServedModel model, List<String> texts, InferenceOptions options, long deadlineNanos,
                              Cancellation cancellation, RequestTrace trace) {

    /** The deadline of a request that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /**
     * @throws NullPointerException     when a field or a text is null
     * @throws IllegalArgumentException when there are no texts, or a classifier is asked to normalize
     */
    public ResolvedRequest {
        Objects.requireNonNull(model, "model");
        texts = List.copyOf(texts);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(cancellation, "cancellation");
        Objects.requireNonNull(trace, "trace");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one text");
        }
        if (options.normalize() && model.info().task() != Task.EMBEDDING) {
            throw new IllegalArgumentException("model '" + model.name() + "' is a classifier; normalize does not apply");
        }
        if (options.rawScores() && model.info().task() == Task.EMBEDDING) {
            throw new IllegalArgumentException("model '" + model.name() + "' is an embedder; raw scores do not apply");
        }
    }

    /** What the model does, and so what the request asks. */
    public Task task() {
        return model.info().task();
    }

    /** The same request with other options (a wire format's extras: truncation direction, raw scores). */
    public ResolvedRequest withOptions(InferenceOptions other) {
        return new ResolvedRequest(model, texts, other, deadlineNanos, cancellation, trace);
    }

    /** The same request for other texts (the ones a cache could not answer). */
    public ResolvedRequest withTexts(List<String> others) {
        return new ResolvedRequest(model, others, options, deadlineNanos, cancellation, trace);
    }
}
