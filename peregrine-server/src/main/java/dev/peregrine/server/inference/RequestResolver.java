package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.server.tracing.RequestTrace;
import java.util.List;

/**
 * The one place where a request's unspecified options get their defaults: what happens to a long
 * text from the server's {@code --long-text}, normalization from the model (wire formats with a default of their
 * own, like text-embeddings-inference's {@code normalize: true}, state it in their body records and
 * pass it here as given). Stateless and thread-safe.
 */
public final class RequestResolver {

    private final LongTextMode longText;

    public RequestResolver(ServiceSettings settings) {
        this.longText = settings.longText();
    }

    /**
     * Whether to truncate, when a request says {@code requested} (null: the server's default), for the
     * routes that cannot split a text into windows (per-token answers): only a server that
     * truncates by default truncates; one that chunks refuses there as one that rejects.
     */
    public boolean truncate(Boolean requested) {
        return requested != null ? requested : longText == LongTextMode.TRUNCATE;
    }

    /**
     * @param longText     as the request says ({@code long_text}, or {@code truncate} as
     *                     {@link LongTextMode#ofTruncate}), or null for the server's default
     * @param normalize    as the request says, or null for the model's default; ignored for classifiers
     * @param cache        whether the request lets the prediction cache answer it
     */
    public ResolvedRequest resolve(ServedModel model, List<String> texts, LongTextMode longText, Boolean normalize,
                                   boolean cache, long deadlineNanos, Cancellation cancellation, RequestTrace trace) {
        boolean embedding = model.info().task() == Task.EMBEDDING;
        InferenceOptions options = new InferenceOptions(
                longText != null ? longText : this.longText,
                embedding && (normalize != null ? normalize : model.info().normalize()),
                cache);
        trace.texts(texts.size());
        return new ResolvedRequest(model, texts, options, deadlineNanos, cancellation, trace);
    }
}
