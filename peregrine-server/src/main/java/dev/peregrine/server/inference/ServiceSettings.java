package dev.peregrine.server.inference;

import java.util.Set;

/**
 * What the service layers read of the server's configuration, and nothing else.
 *
 * @param autoTruncate   what {@code truncate} means when a request does not say
 * @param requestThreads threads that parse, tokenize and render requests (never the event loop)
 * @param cacheExclude   served models that never use the prediction cache
 */
public record ServiceSettings(boolean autoTruncate, int requestThreads, Set<String> cacheExclude) {

    public ServiceSettings {
        if (requestThreads < 1) {
            throw new IllegalArgumentException("requestThreads must be >= 1, was " + requestThreads);
        }
        cacheExclude = Set.copyOf(cacheExclude);
    }
}
