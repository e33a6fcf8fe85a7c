package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;

/** One inference route: validates a parsed body and resolves it into a request (on a request-pool thread). */
@FunctionalInterface
interface InferenceRoute {

    /**
     * @param body  the parsed JSON object
     * @param scope the request's edge facts (cache header, deadline, cancellation) and where the
     *              route records the model, for metrics
     * @throws ApiException or {@link dev.peregrine.core.PeregrineException} when the request is wrong
     */
    Pending start(JsonNode body, RequestScope scope);
}
