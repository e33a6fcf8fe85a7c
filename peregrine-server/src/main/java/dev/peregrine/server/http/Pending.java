package dev.peregrine.server.http;

import dev.peregrine.server.inference.InferenceResult;
import dev.peregrine.server.inference.ResolvedRequest;
import dev.peregrine.server.inference.Timings;
import io.vertx.core.buffer.Buffer;
import java.util.Objects;

/**
 * What a route made of a validated body: a request for the service stack and how its wire format
 * renders the answer, or (for routes that only inspect, like {@code /tokenize}) the answer itself.
 */
sealed interface Pending {

    /** A request, resolved once, for the service stack; the pipeline sends it down and renders what comes back. */
    static Pending of(ResolvedRequest request, Render render) {
        return new Inference(request, render);
    }

    /** An answer made on the route's own thread, without the service stack. */
    static Pending answered(String model, Buffer body, Timings timings, int tokens) {
        return new Answered(model, body, timings, tokens);
    }

    /** One wire format's body for an answer (run on the request pool). */
    @FunctionalInterface
    interface Render {
        Buffer render(InferenceResult result);
    }

    /**
     * @param request the request, resolved once
     * @param render  the answer's body in the route's wire format
     */
    record Inference(ResolvedRequest request, Render render) implements Pending {
        public Inference {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(render, "render");
        }
    }

    /**
     * @param model   the model that answered
     * @param body    the JSON body
     * @param timings where the time went
     * @param tokens  tokens computed (the {@code x-compute-tokens} header)
     */
    record Answered(String model, Buffer body, Timings timings, int tokens) implements Pending {
        public Answered {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(body, "body");
            Objects.requireNonNull(timings, "timings");
        }
    }
}
