package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import dev.peregrine.server.tracing.RequestTrace;
import java.util.List;

/**
 * The one place where a request's unspecified options get their defaults: truncation from the
 * server's {@code auto-truncate}, normalization from the model (wire formats with a default of their
 * own, like text-embeddings-inference's {@code normalize: true}, state it in their body records and
 * pass it here as given). Stateless and thread-safe.
 */
public final class RequestResolver {

    private final boolean autoTruncate;

    public RequestResolver(ServiceSettings settings) {
        this.autoTruncate = settings.autoTruncate();
    }

    /** Whether to truncate, when a request says {@code requested} (null: the server's default). */
    public boolean truncate(Boolean requested) {
        return requested != null ? requested : autoTruncate;
    }

    /**
     * @param truncate     as the request says, or null for the server's default
     * @param normalize    as the request says, or null for the model's default; ignored for classifiers
     * @param cache        whether the request lets the prediction cache answer it
     */
    public ResolvedRequest resolve(ServedModel model, List<String> texts, Boolean truncate, Boolean normalize,
                                   boolean cache, long deadlineNanos, Cancellation cancellation, RequestTrace trace) {
        boolean embedding = model.info().task() == Task.EMBEDDING;
        InferenceOptions options = new InferenceOptions(
                truncate(truncate),
                embedding && (normalize != null ? normalize : model.info().normalize()),
                cache);
        trace.texts(texts.size());
        return new ResolvedRequest(model, texts, options, deadlineNanos, cancellation, trace);
    }
}
