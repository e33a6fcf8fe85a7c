package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Per-text model results, kept in front of whatever computes them (in the server, the batcher).
 *
 * <h2>Levels</h2>
 * Each text is looked up by a key that hashes the {@link CacheScope} (model, model fingerprint,
 * parameters) with the exact text:
 * <ol>
 *   <li><b>memory</b>: a Caffeine cache in this process, bounded by entries and by estimated bytes,
 *       entries expiring a TTL after they were written;</li>
 *   <li><b>redis</b> (optional): one Redis shared by every replica; a request's texts missing from
 *       memory are read with a single MGET, and what is found fills memory;</li>
 *   <li><b>compute</b>: the texts still missing are computed with one call, and the results fill
 *       memory at once and Redis in the background (pipelined SETs with the same TTL).</li>
 * </ol>
 *
 * <h2>Coalescing</h2>
 * The memory level holds a future per text from the moment a call starts looking for it, so a
 * text is computed once however many times it occurs in one call, and once for all calls that ask
 * for it while that computation is in flight: later callers wait for the first one's result.
 * When another call's computation fails, the texts that call was computing are computed again by
 * each call that was waiting for them (once); a call fails only when its own computation fails.
 * Failed computations are never cached.
 *
 * <h2>Failure of the shared level</h2>
 * Redis down, slow, or answering garbage never fails or stalls a request: every read has a hard
 * deadline (a few milliseconds) after which the texts are misses; unreadable values are misses;
 * commands fail at once while the connection is down; failures in a row open a circuit so that
 * Redis is skipped entirely for a backoff period and then probed with one request; the connection
 * is made and remade in the background. Each failure is counted by cause in
 * {@code peregrine_cache_errors_total{err=...}}. A Redis that is unreachable when the cache starts
 * is not an error: the cache serves from memory and the model until it appears.
 *
 * <h2>Contract</h2>
 * Thread-safe: any number of threads may call {@link #get} at once. {@code get} never blocks; its
 * own work on a memory hit is hashing the texts. Implementations come from {@link #builder()}.
 */
public interface PredictionCache extends AutoCloseable {

    /**
     * Answers every text from the cache where possible and computes the rest with one call of
     * {@code compute}.
     *
     * <p>{@code compute} receives the distinct texts still missing, in the order of their first
     * occurrence in {@code texts}, and must return a future of exactly one prediction per text, in
     * that order. It is called at most once per {@code get} (twice when another call it waited on
     * failed), possibly on the calling thread or on the cache's executor, and must not block: hand
     * the work to another thread and return. Its future must complete, normally or exceptionally:
     * until it does, other calls for the same texts wait on it.
     *
     * <p>Cancelling the returned future does not cancel the computation: its results still fill
     * the cache and answer the other calls waiting for them.
     *
     * @param scope   what besides the text the key is made of
     * @param texts   the texts, duplicates allowed; may be empty
     * @param bypass  when true (a per-request or per-model opt-out), neither level is read nor
     *                written: {@code compute} gets {@code texts} as given, duplicates included
     * @param compute computes predictions of texts the cache does not hold
     * @return one prediction per text, in the order of {@code texts}, in an unmodifiable list; fails
     *         with the exception {@code compute} failed with, or {@link IllegalStateException} when
     *         {@code compute} answered a list of the wrong size or with null elements
     * @throws NullPointerException when an argument or a text is null
     */
    CompletableFuture<List<TextResult>> get(CacheScope scope, List<String> texts, boolean bypass,
                                                  Function<List<String>, CompletableFuture<List<TextResult>>> compute);

    /**
     * Closes the Redis connection (waiting a few seconds at most), drops the memory level and
     * removes the meters. Later calls of {@link #get} are passed straight to {@code compute}, as if
     * they bypassed the cache. Idempotent.
     */
    @Override
    void close();

    /** A builder with every option at its default: memory level only, 100,000 entries, 256 MiB, 1 h. */
    static PredictionCacheBuilder builder() {
        return new PredictionCacheBuilder();
    }
}
