package dev.peregrine.server.inference;

import java.util.concurrent.CompletableFuture;

/**
 * One layer of the serving stack: answers a {@link ResolvedRequest}. The server stacks them as
 * drift monitoring over the prediction cache over the batchers ({@link MonitoringInferenceService},
 * {@link CachingInferenceService}, {@link BatchedInferenceService}); each does one job on the same
 * request and result types, for embedders and classifiers alike.
 *
 * <p>Contract: thread-safe; never blocks an outside caller such as the HTTP event loop (work runs on
 * the service's own threads; a caller that is one of them tokenizes in place). Failures arrive
 * through the returned future: {@link dev.peregrine.core.PeregrineException} (text too long,
 * inference failed), {@link ServiceException.Overloaded} (admission refused, at once),
 * {@link ServiceException.ShuttingDown}; and, once the request's {@link Cancellation} fires, its
 * reason (a {@link java.util.concurrent.TimeoutException} for the deadline), with the request's
 * texts not yet run dropped.
 */
public interface InferenceService {

    CompletableFuture<InferenceResult> infer(ResolvedRequest request);
}
