package dev.peregrine.server.inference;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * What the HTTP layer is given: the models (to resolve names), the resolver (to decide defaults), the
 * top of the service stack, whether it takes work, and a read-only view of drift.
 *
 * @param models   the served models
 * @param requests turns a parsed request into a {@link ResolvedRequest}
 * @param service  the top layer
 * @param ready    whether every model is loaded and the service is not shutting down
 * @param drift    drift reports, {@link DriftView#OFF} when monitoring is off
 */
public record InferenceStack(ServedModels models, RequestResolver requests, InferenceService service,
                             BooleanSupplier ready, DriftView drift) {

    public InferenceStack {
        Objects.requireNonNull(models, "models");
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(drift, "drift");
    }
}
