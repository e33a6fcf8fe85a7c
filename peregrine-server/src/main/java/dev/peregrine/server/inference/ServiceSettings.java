package dev.peregrine.server.inference;

import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.LongTextOptions;
import java.util.Objects;
import java.util.Set;

/**
 * What the service layers read of the server's configuration, and nothing else.
 *
 * @param longText        what happens to a text longer than the model's limit when a request does not say
 * @param longTextOptions how such a text is split when it is chunked
 * @param requestThreads  threads that parse, tokenize and render requests (never the event loop)
 * @param cacheExclude    served models that never use the prediction cache
 */
public record ServiceSettings(LongTextMode longText, LongTextOptions longTextOptions, int requestThreads,
                              Set<String> cacheExclude) {

    public ServiceSettings {
        Objects.requireNonNull(longText, "longText");
        Objects.requireNonNull(longTextOptions, "longTextOptions");
        if (requestThreads < 1) {
            throw new IllegalArgumentException("requestThreads must be >= 1, was " + requestThreads);
        }
        cacheExclude = Set.copyOf(cacheExclude);
    }
}
