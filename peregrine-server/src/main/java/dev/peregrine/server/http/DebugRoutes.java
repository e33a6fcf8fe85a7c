package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.server.metrics.LiveProfile;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /debug/profile?seconds=N}: where a running server's time goes under its real traffic,
 * from two snapshots of its own meters N seconds apart (see {@link LiveProfile}). It only exists on
 * a server started with an API key (it tells about the traffic), and waits on a timer, holding no
 * thread.
 */
final class DebugRoutes {

    /** The longest window one call may ask for. */
    static final int MAX_SECONDS = 60;
    static final int DEFAULT_SECONDS = 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final MeterRegistry registry;

    DebugRoutes(Vertx vertx, MeterRegistry registry) {
        this.vertx = vertx;
        this.registry = registry;
    }

    /** Answers with the profile after the window, or throws for a bad {@code seconds}. */
    void profile(RoutingContext ctx) {
        int seconds = seconds(ctx.request().getParam("seconds"));
        LiveProfile.Snapshot before = LiveProfile.take(registry);
        long start = System.nanoTime();
        vertx.setTimer(seconds * 1000L, id -> {
            LiveProfile.Report report = LiveProfile.between(before, LiveProfile.take(registry),
                    (System.nanoTime() - start) / 1e9);
            try {
                ctx.response().putHeader("Content-Type", "application/json").end(JSON.writeValueAsString(report));
            } catch (JsonProcessingException e) {
                ctx.fail(e);
            }
        });
    }

    static int seconds(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SECONDS;
        }
        try {
            int s = Integer.parseInt(value.strip());
            if (s >= 1 && s <= MAX_SECONDS) {
                return s;
            }
        } catch (NumberFormatException e) {
            // falls through to the error
        }
        throw new ApiException(ApiError.MALFORMED, "seconds must be a whole number from 1 to " + MAX_SECONDS
                + ", was '" + value + "'");
    }
}
