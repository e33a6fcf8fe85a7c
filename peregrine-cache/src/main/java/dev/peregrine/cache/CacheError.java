package dev.peregrine.cache;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.protocol.RedisProtocolException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Why a use of the shared level failed; the {@code err} tag of {@code peregrine_cache_errors_total}.
 * None of these ever reaches a caller: each makes the texts concerned misses.
 */
enum CacheError {
    /** Redis did not answer within the deadline. */
    TIMEOUT,
    /** Not connected, connection lost or refused, or the command was rejected while reconnecting. */
    CONNECTION,
    /** The reply did not parse as RESP, or had the wrong shape; the connection is replaced. */
    PROTOCOL,
    /** Redis answered with an error (out of memory, authentication required, ...). */
    SERVER,
    /** A stored value is not an entry this cache wrote for that key. */
    DECODE,
    /** Anything else. */
    OTHER;

    /** The tag value. */
    String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

    static CacheError classify(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof TimeoutException || e instanceof RedisCommandTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof RedisProtocolException) {
            return PROTOCOL;
        }
        if (e instanceof RedisCommandExecutionException) {
            return SERVER;
        }
        if (e instanceof RedisConnectionException || e instanceof IOException || e instanceof RedisException) {
            // Lettuce rejects commands while disconnected with a plain RedisException.
            return CONNECTION;
        }
        return OTHER;
    }

    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
