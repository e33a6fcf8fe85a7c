package dev.peregrine.server.http;

import dev.peregrine.server.inference.Timings;
import io.vertx.core.buffer.Buffer;
import java.util.Objects;

/**
 * A successful inference answer, already serialized (off the event loop).
 *
 * @param model   the model that answered
 * @param body    the JSON body
 * @param timings where the time went
 * @param tokens  tokens computed
 */
record Reply(String model, Buffer body, Timings timings, int tokens) {

    Reply {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(timings, "timings");
    }
}
