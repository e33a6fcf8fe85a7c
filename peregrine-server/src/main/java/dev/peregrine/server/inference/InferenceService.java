package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP routes call: the seam between wire formats and the batchers. A prediction cache or
 * a drift monitor wraps an implementation of this interface without the routes knowing.
 *
 * <p>Contract: thread-safe; never blocks an outside caller such as the HTTP event loop (work runs
 * on the service's own threads; a caller that is one of them tokenizes in place);
 * failures arrive through the returned future as {@link dev.peregrine.core.PeregrineException}
 * (unknown model, wrong task, text too long, inference failure),
 * {@link dev.peregrine.server.batching.OverloadedException} (admission refused, at once) or
 * {@link dev.peregrine.server.batching.BatcherClosedException} (shutting down). Cancelling the
 * returned future (or completing it exceptionally, as a timeout does) drops the request's texts
 * that have not run yet.
 */
public interface InferenceService {

    /** The models served, in the order they were configured. */
    List<ServedModel> models();

    /**
     * The model a request means.
     *
     * @param name the name given, or null for the first served model of {@code task}
     * @throws dev.peregrine.core.PeregrineException MODEL_NOT_FOUND or WRONG_TASK
     */
    ServedModel resolve(String name, Task task);

    /**
     * Embeds texts.
     *
     * @param model   a served embedding model's name, or null for the default one
     * @param options truncation, normalization and cache use for this request
     */
    CompletableFuture<EmbedResult> embed(String model, List<String> texts, RequestOptions options);

    /**
     * Classifies texts.
     *
     * @param model   a served classifier's name, or null for the default one
     * @param options truncation and cache use for this request (normalization does not apply)
     */
    CompletableFuture<ClassifyResult> classify(String model, List<String> texts, RequestOptions options);

    /** Whether every model is loaded and the service is not shutting down. */
    boolean ready();
}
