package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;

/** One inference route: validates a parsed body and starts the work (on a request-pool thread). */
@FunctionalInterface
interface InferenceRoute {

    /**
     * @param body  the parsed JSON object
     * @param scope what the route learns about the request (the model, for metrics)
     * @throws ApiException or {@link dev.peregrine.core.PeregrineException} when the request is wrong
     */
    Pending start(JsonNode body, RequestScope scope);
}
