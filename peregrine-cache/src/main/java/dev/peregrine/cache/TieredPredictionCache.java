package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PredictionCache}: a Caffeine {@link AsyncCache} of futures in front of an optional
 * {@link RedisLevel}.
 *
 * <h2>Why futures in Caffeine</h2>
 * The memory level maps each key to a future, inserted atomically ({@link AsyncCache#get(Object,
 * java.util.function.BiFunction)}) before the value is known. The call whose future went in owns
 * the key: it reads Redis and computes. Every other call finds the future and waits on it, so
 * identical texts in flight are computed once without a map of our own. Caffeine weighs an entry
 * and starts its TTL when the future completes, and removes it if the future fails, which is how
 * failed computations stay uncached.
 *
 * <h2>Invariant</h2>
 * Every future a call inserts is completed by that call, whatever happens: Redis replies, decoding,
 * {@code compute} returning, throwing or failing. A future left incomplete would make every later
 * request for that text wait forever, so each step that could throw is fenced and fails the
 * call's remaining futures instead.
 */
final class TieredPredictionCache implements PredictionCache {

    private static final Logger LOG = LoggerFactory.getLogger(TieredPredictionCache.class);

    /**
     * Estimated heap bytes of one entry besides its floats: the key (object, 32-byte digest), the
     * prediction and its array header, the completed future, and Caffeine's node and hash-table
     * slot with its expiry and eviction links.
     */
    static final int ENTRY_OVERHEAD_BYTES = 224;

    private static final CompletableFuture<byte[][]> SKIPPED = CompletableFuture.completedFuture(null);

    private final AsyncCache<CacheKey, TextResult> memory;
    private final RedisLevel redis;
    private final CacheMetrics metrics;
    private volatile boolean closed;

    TieredPredictionCache(PredictionCacheBuilder options, io.micrometer.core.instrument.MeterRegistry registry) {
        Executor executor = options.executor;
        int floor = (int) options.entryWeightFloor();
        this.memory = Caffeine.newBuilder()
                .maximumWeight(options.maximumBytes)
                .weigher((CacheKey key, TextResult value) -> Math.max(floor, entryBytes(value)))
                .expireAfterWrite(options.ttl)
                .ticker(options.ticker)
                .executor(executor)
                .buildAsync();
        this.metrics = new CacheMetrics(registry);
        metrics.memoryGauges(() -> memory.synchronous().estimatedSize(), this::memoryBytes);
        if (options.redisUri != null) {
            CircuitBreaker circuit = new CircuitBreaker(options.ticker, options.redisBackoff.toNanos(),
                    options.redisFailureThreshold);
            this.redis = new RedisLevel(options.redisUri, options.redisKeyPrefix, options.ttl, options.redisTimeout,
                    options.redisConnectTimeout, options.redisBackoff, circuit, executor, metrics);
            metrics.gauge("redis.connected", null, redis, r -> r.connected() ? 1 : 0,
                    "1 while a connection to Redis is up", null);
            metrics.gauge("redis.circuit.open", null, circuit, c -> c.isClosed() ? 0 : 1,
                    "1 while Redis is skipped after failures (open or probing)", null);
        } else {
            this.redis = null;
        }
    }

    void start() {
        if (redis != null) {
            redis.start();
        }
    }

    /** One distinct text of a call, and the future that answers it. */
    private static final class Slot {
        final CacheKey key;
        final String text;
        CompletableFuture<TextResult> future;
        boolean owned;

        Slot(CacheKey key, String text) {
            this.key = key;
            this.text = text;
        }
    }

    @Override
    public CompletableFuture<List<TextResult>> get(
            CacheScope scope, List<String> texts, boolean bypass,
            Function<List<String>, CompletableFuture<List<TextResult>>> compute) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(compute, "compute");
        int n = texts.size();
        for (int i = 0; i < n; i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("texts[" + i + "] is null");
            }
        }
        if (n == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (bypass || closed) {
            metrics.bypassed.increment(n);
            return invoke(compute, List.copyOf(texts));
        }

        CacheKey.Hasher hasher = new CacheKey.Hasher(scope);
        Slot[] byPosition = new Slot[n];
        Map<CacheKey, Slot> distinct = new HashMap<>(Math.max(4, n * 2));
        List<Slot> slots = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String text = texts.get(i);
            CacheKey key = hasher.key(text);
            Slot slot = distinct.get(key);
            if (slot == null) {
                slot = new Slot(key, text);
                distinct.put(key, slot);
                slots.add(slot);
            }
            byPosition[i] = slot;
        }

        CompletableFuture<List<TextResult>> result = new CompletableFuture<>();
        claimAndLoad(slots, compute);
        finish(byPosition, slots, compute, result, true);
        return result;
    }

    /**
     * Finds or inserts each slot's future; loads the ones this call inserted.
     */
    private void claimAndLoad(List<Slot> slots, Function<List<String>, CompletableFuture<List<TextResult>>> compute) {
        List<Slot> owned = new ArrayList<>();
        int hits = 0;
        int joined = 0;
        @SuppressWarnings("unchecked")
        CompletableFuture<TextResult>[] mine = new CompletableFuture[1];
        try {
            claim(slots, owned, mine);
        } catch (Throwable t) {
            // Keep the invariant even here: futures this call inserted must not stay in flight.
            failAll(owned, t);
            if (mine[0] != null) {
                mine[0].completeExceptionally(new ComputationFailed(t));
            }
            throw t;
        }
        for (Slot slot : slots) {
            if (slot.owned) {
                continue;
            }
            if (slot.future.isDone() && !slot.future.isCompletedExceptionally()) {
                hits++;
            } else {
                joined++;
            }
        }
        metrics.memoryHits.increment(hits);
        metrics.coalesced.increment(joined);
        metrics.memoryMisses.increment(owned.size());
        if (!owned.isEmpty()) {
            load(owned, compute);
        }
    }

    private void claim(List<Slot> slots, List<Slot> owned, CompletableFuture<TextResult>[] mine) {
        for (Slot slot : slots) {
            mine[0] = null;
            CompletableFuture<TextResult> future = memory.get(slot.key, (key, executor) -> {
                mine[0] = new CompletableFuture<>();
                return mine[0];
            });
            if (future != mine[0] && future.isCompletedExceptionally()) {
                // A failed computation whose removal Caffeine has not run yet (it runs as a callback
                // of the same failure, possibly after ours): take it out and insert anew.
                memory.asMap().remove(slot.key, future);
                future = memory.get(slot.key, (key, executor) -> {
                    mine[0] = new CompletableFuture<>();
                    return mine[0];
                });
            }
            slot.future = future;
            slot.owned = future == mine[0];
            if (slot.owned) {
                owned.add(slot);
            }
            mine[0] = null;
        }
    }

    /** Reads Redis for the owned slots, then computes what it did not have. Completes every owned future. */
    private void load(List<Slot> owned, Function<List<String>, CompletableFuture<List<TextResult>>> compute) {
        CompletableFuture<byte[][]> fromRedis;
        try {
            fromRedis = redis == null ? SKIPPED : redis.read(keysOf(owned));
        } catch (Throwable t) {
            LOG.debug("Redis read failed before it was sent", t);
            metrics.error(CacheError.OTHER);
            fromRedis = SKIPPED;
        }
        fromRedis.whenComplete((raw, error) -> {
            try {
                computeMissing(owned, error == null ? raw : null, compute);
            } catch (Throwable t) {
                failAll(owned, t);
            }
        });
    }

    private void computeMissing(List<Slot> owned, byte[][] raw,
                                Function<List<String>, CompletableFuture<List<TextResult>>> compute) {
        List<Slot> missing;
        if (raw == null) {
            missing = owned;
        } else {
            missing = new ArrayList<>();
            TextResult[] found = new TextResult[owned.size()];
            int hits = 0;
            for (int i = 0; i < owned.size(); i++) {
                Slot slot = owned.get(i);
                byte[] bytes = raw[i];
                if (bytes != null) {
                    try {
                        found[i] = PredictionCodec.decode(slot.key, bytes);
                        hits++;
                        continue;
                    } catch (PredictionCodec.MalformedEntryException e) {
                        // Left for the computation below to overwrite.
                        metrics.error(CacheError.DECODE);
                        LOG.debug("unreadable Redis entry for key {}: {}", slot.key, e.getMessage());
                    }
                }
                missing.add(slot);
            }
            // Counted before any caller is answered, so that a caller sees its own effect on the meters.
            metrics.redisHits.increment(hits);
            metrics.redisMisses.increment(missing.size());
            for (int i = 0; i < found.length; i++) {
                if (found[i] != null) {
                    owned.get(i).future.complete(found[i]);
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        List<String> texts = new ArrayList<>(missing.size());
        for (Slot slot : missing) {
            texts.add(slot.text);
        }
        invoke(compute, List.copyOf(texts)).whenComplete((predictions, error) -> {
            if (error != null) {
                failAll(missing, error);
                return;
            }
            for (int i = 0; i < missing.size(); i++) {
                missing.get(i).future.complete(predictions.get(i));
            }
            store(missing, predictions);
        });
    }

    /** Sends computed entries to Redis; never throws. */
    private void store(List<Slot> slots, List<TextResult> predictions) {
        if (redis == null || !redis.writable()) {
            return;
        }
        try {
            List<CacheKey> keys = new ArrayList<>(slots.size());
            List<byte[]> values = new ArrayList<>(slots.size());
            for (int i = 0; i < slots.size(); i++) {
                keys.add(slots.get(i).key);
                values.add(PredictionCodec.encode(slots.get(i).key, predictions.get(i)));
            }
            redis.write(keys, values);
        } catch (Throwable t) {
            metrics.error(CacheError.OTHER);
            LOG.debug("Redis write failed before it was sent", t);
        }
    }

    /**
     * Completes {@code result} once every slot's future has: in input order on success; with the
     * call's own failure; or, when only futures of other calls failed and {@code retry} allows,
     * after computing those texts again itself.
     */
    private void finish(Slot[] byPosition, List<Slot> slots,
                        Function<List<String>, CompletableFuture<List<TextResult>>> compute,
                        CompletableFuture<List<TextResult>> result, boolean retry) {
        CompletableFuture<?>[] futures = new CompletableFuture<?>[slots.size()];
        for (int i = 0; i < futures.length; i++) {
            futures[i] = slots.get(i).future;
        }
        CompletableFuture.allOf(futures).whenComplete((ignored, anyError) -> {
            try {
                if (anyError == null) {
                    TextResult[] out = new TextResult[byPosition.length];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = byPosition[i].future.getNow(null);
                    }
                    result.complete(List.of(out));
                    return;
                }
                List<Slot> othersFailed = new ArrayList<>();
                for (Slot slot : slots) {
                    if (!slot.future.isCompletedExceptionally()) {
                        continue;
                    }
                    if (slot.owned || !retry) {
                        result.completeExceptionally(failureOf(slot.future));
                        return;
                    }
                    othersFailed.add(slot);
                }
                // Only computations of other calls failed (their input, their cancellation, ...):
                // this call's texts deserve one computation of its own.
                claimAndLoad(othersFailed, compute);
                finish(byPosition, slots, compute, result, false);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    private static CompletableFuture<List<TextResult>> invoke(
            Function<List<String>, CompletableFuture<List<TextResult>>> compute, List<String> texts) {
        CompletableFuture<List<TextResult>> future;
        try {
            future = compute.apply(texts);
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
        if (future == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("compute returned null, not a future"));
        }
        CompletableFuture<List<TextResult>> checked = new CompletableFuture<>();
        future.whenComplete((predictions, error) -> {
            if (error != null) {
                checked.completeExceptionally(CacheError.unwrap(error));
            } else if (predictions == null || predictions.size() != texts.size()) {
                checked.completeExceptionally(new IllegalStateException("compute answered "
                        + (predictions == null ? "null" : predictions.size() + " predictions") + " for "
                        + texts.size() + " texts"));
            } else if (hasNull(predictions)) {
                checked.completeExceptionally(new IllegalStateException("compute answered a null prediction"));
            } else {
                checked.complete(predictions);
            }
        });
        return checked;
    }

    /** Not {@code contains(null)}: an immutable list ({@code List.of}, {@code List.copyOf}) throws for it. */
    private static boolean hasNull(List<TextResult> predictions) {
        for (TextResult p : predictions) {
            if (p == null) {
                return true;
            }
        }
        return false;
    }

    private static void failAll(List<Slot> slots, Throwable error) {
        ComputationFailed failure = new ComputationFailed(CacheError.unwrap(error));
        for (Slot slot : slots) {
            slot.future.completeExceptionally(failure);
        }
    }

    /** The exception a call reports for a failed slot: what its computation failed with. */
    private static Throwable failureOf(CompletableFuture<?> future) {
        try {
            future.join();
            return new IllegalStateException("future did not fail");
        } catch (CompletionException e) {
            return e.getCause() != null ? e.getCause() : e;
        } catch (ComputationFailed e) {
            return e.getCause();
        } catch (CancellationException e) {
            return e;
        }
    }

    /**
     * How a failed computation is recorded in the memory level's futures. Caffeine logs a warning
     * with a stack trace for every cached future that fails, except with a cancellation or a
     * timeout; a failing model (a text too long, a full queue under overload) is the caller's
     * business, reported to it, and must not flood the log. So the futures in the cache fail with
     * this cancellation, which carries the real exception, and {@link #failureOf} unwraps it.
     */
    private static final class ComputationFailed extends CancellationException {
        ComputationFailed(Throwable cause) {
            super(cause.toString());
            initCause(cause);
        }
    }

    private static List<CacheKey> keysOf(List<Slot> slots) {
        List<CacheKey> keys = new ArrayList<>(slots.size());
        for (Slot slot : slots) {
            keys.add(slot.key);
        }
        return keys;
    }

    static int entryBytes(TextResult prediction) {
        return ENTRY_OVERHEAD_BYTES + 4 * prediction.values().length;
    }

    /** Sum of the completed entries' estimated bytes; walks the cache, so meant for gauges, not hot paths. */
    long memoryBytes() {
        long bytes = 0;
        for (CompletableFuture<TextResult> future : memory.asMap().values()) {
            if (future.isDone() && !future.isCompletedExceptionally()) {
                bytes += entryBytes(future.join());
            }
        }
        return bytes;
    }

    /** Runs Caffeine's pending maintenance (evictions, expiry) now; for tests. */
    void cleanUp() {
        memory.synchronous().cleanUp();
    }

    RedisLevel redisLevel() {
        return redis;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (redis != null) {
                redis.close();
            }
        } finally {
            metrics.close();
            memory.synchronous().invalidateAll();
        }
    }
}
