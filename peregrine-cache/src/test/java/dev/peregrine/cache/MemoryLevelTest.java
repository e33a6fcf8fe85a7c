package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The in-process level: hits, coalescing, bounds, expiry, opt-out and failures, with no Redis. */
class MemoryLevelTest {

    private static final CacheScope SCOPE = new CacheScope("tiny", "f1", "truncate=true");

    private final TinyModel model = TinyModel.shared();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Meters meters = new Meters(registry);
    private final List<PredictionCache> caches = new ArrayList<>();

    @BeforeEach
    void resetModel() {
        model.reset();
    }

    @AfterEach
    void closeCaches() {
        caches.forEach(PredictionCache::close);
    }

    private PredictionCache cache(PredictionCacheBuilder builder) {
        PredictionCache cache = builder.meterRegistry(registry).build();
        caches.add(cache);
        return cache;
    }

    private PredictionCache cache() {
        return cache(PredictionCache.builder());
    }

    private static List<TextResult> await(CompletableFuture<List<TextResult>> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void secondCallForSameTexts_isAnsweredFromMemoryWithoutComputing() throws Exception {
        PredictionCache cache = cache();
        List<TextResult> first = await(cache.get(SCOPE, List.of("apple", "pear"), false, model.compute()));
        List<TextResult> second = await(cache.get(SCOPE, List.of("pear", "apple"), false, model.compute()));

        assertThat(model.calls.get()).isEqualTo(1);
        assertThat(second).containsExactly(first.get(1), first.get(0));
        assertThat(first).isEqualTo(model.direct(List.of("apple", "pear")));
        assertThat(meters.memoryMisses()).isEqualTo(2);
        assertThat(meters.memoryHits()).isEqualTo(2);
    }

    @Test
    void duplicatesInOneCall_areComputedOnceInFirstOccurrenceOrder() throws Exception {
        PredictionCache cache = cache();
        List<TextResult> out = await(cache.get(SCOPE, List.of("x", "y", "x", "z", "y"), false, model.compute()));

        assertThat(model.batches).containsExactly(List.of("x", "y", "z"));
        assertThat(out).hasSize(5);
        assertThat(out.get(2)).isSameAs(out.get(0));
        assertThat(out.get(4)).isSameAs(out.get(1));
        List<TextResult> expected = model.direct(List.of("x", "y", "z"));
        assertThat(out).containsExactly(expected.get(0), expected.get(1), expected.get(0), expected.get(2),
                expected.get(1));
    }

    @Test
    void concurrentCallsForTheSameTexts_shareOneComputation() throws Exception {
        PredictionCache cache = cache();
        CountDownLatch gate = model.hold();
        CompletableFuture<List<TextResult>> first = cache.get(SCOPE, List.of("p", "q"), false, model.compute());
        CompletableFuture<List<TextResult>> second = cache.get(SCOPE, List.of("q", "p", "r"), false, model.compute());
        List<CompletableFuture<List<TextResult>>> more = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            more.add(CompletableFuture.supplyAsync(() -> cache.get(SCOPE, List.of("p"), false, model.compute()))
                    .thenCompose(f -> f));
        }
        assertThat(first).isNotDone();
        gate.countDown();

        List<TextResult> a = await(first);
        List<TextResult> b = await(second);
        for (CompletableFuture<List<TextResult>> f : more) {
            assertThat(await(f).get(0)).isSameAs(a.get(0));
        }
        assertThat(model.batches).containsExactlyInAnyOrder(List.of("p", "q"), List.of("r"));
        assertThat(b.get(0)).isSameAs(a.get(1));
        assertThat(b.get(1)).isSameAs(a.get(0));
        assertThat(meters.count("coalesced")).as("second call's p and q, and every later p while in flight")
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void failedComputation_isNotCachedAndFailsOnlyTheCallThatNeededIt() throws Exception {
        PredictionCache cache = cache();
        model.poison(Set.of("bad"));
        CompletableFuture<List<TextResult>> failing = cache.get(SCOPE, List.of("ok1", "bad"), false, model.compute());
        CompletableFuture<List<TextResult>> other = cache.get(SCOPE, List.of("ok2"), false, model.compute());

        assertThatThrownBy(() -> await(failing)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.INPUT_TOO_LONG));
        assertThat(await(other)).isEqualTo(model.direct(List.of("ok2")));

        model.poison(Set.of());
        List<TextResult> retried = await(cache.get(SCOPE, List.of("ok1", "bad"), false, model.compute()));
        assertThat(retried).isEqualTo(model.direct(List.of("ok1", "bad")));
        assertThat(model.batches).containsExactlyInAnyOrder(List.of("ok1", "bad"), List.of("ok2"), List.of("ok1", "bad"));
    }

    @Test
    void callWaitingOnAnotherCallsFailedComputation_computesTheTextItself() throws Exception {
        PredictionCache cache = cache();
        CountDownLatch release = new CountDownLatch(1);
        Function<List<String>, CompletableFuture<List<TextResult>>> failsLater = texts ->
                CompletableFuture.supplyAsync(() -> {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new PeregrineException(ErrorKind.INVALID_INPUT, "the first caller's own problem");
                });
        CompletableFuture<List<TextResult>> first = cache.get(SCOPE, List.of("shared"), false, failsLater);
        CompletableFuture<List<TextResult>> second = cache.get(SCOPE, List.of("shared", "own"), false, model.compute());
        release.countDown();

        assertThatThrownBy(() -> await(first)).cause().hasMessage("the first caller's own problem");
        assertThat(await(second)).containsExactly(model.direct(List.of("shared")).get(0), model.direct(List.of("own")).get(0));
        assertThat(model.batches).containsExactly(List.of("own"), List.of("shared"));
    }

    @Test
    void bypass_readsAndWritesNeitherLevel() throws Exception {
        PredictionCache cache = cache();
        List<TextResult> bypassed = await(cache.get(SCOPE, List.of("a", "a"), true, model.compute()));
        assertThat(model.batches).containsExactly(List.of("a", "a"));
        assertThat(bypassed).hasSize(2);

        await(cache.get(SCOPE, List.of("a"), false, model.compute()));
        assertThat(model.calls.get()).as("the bypassed call left nothing behind").isEqualTo(2);

        await(cache.get(SCOPE, List.of("a"), true, model.compute()));
        assertThat(model.calls.get()).as("a cached text is computed anyway when bypassing").isEqualTo(3);
        assertThat(meters.count("bypassed")).isEqualTo(3);
    }

    @Test
    void keys_differByModelFingerprintAndParameters() throws Exception {
        PredictionCache cache = cache();
        List<CacheScope> scopes = List.of(SCOPE, new CacheScope("tiny2", "f1", "truncate=true"),
                new CacheScope("tiny", "f2", "truncate=true"), new CacheScope("tiny", "f1", "truncate=false"));
        for (CacheScope scope : scopes) {
            await(cache.get(scope, List.of("same text"), false, model.compute()));
        }
        assertThat(model.calls.get()).isEqualTo(4);
        for (CacheScope scope : scopes) {
            await(cache.get(new CacheScope(scope.model(), scope.modelFingerprint(), scope.parameters()),
                    List.of("same text"), false, model.compute()));
        }
        assertThat(model.calls.get()).isEqualTo(4);
    }

    @Test
    void memoryLevel_isBoundedByEntries() throws Exception {
        PredictionCache cache = cache(PredictionCache.builder().maximumEntries(10).maximumBytes(1L << 30)
                .executor(Runnable::run));
        for (int i = 0; i < 50; i++) {
            await(cache.get(SCOPE, List.of("text " + i), false, Synthetic.vectors(4)));
        }
        ((TieredPredictionCache) cache).cleanUp();
        assertThat(meters.gauge("entries", "level", "memory")).isBetween(1.0, 10.0);
    }

    @Test
    void memoryLevel_isBoundedByBytes() throws Exception {
        int entryBytes = TieredPredictionCache.ENTRY_OVERHEAD_BYTES + 4 * 1024;
        PredictionCache cache = cache(PredictionCache.builder().maximumEntries(1000).maximumBytes(10L * entryBytes)
                .executor(Runnable::run));
        for (int i = 0; i < 50; i++) {
            await(cache.get(SCOPE, List.of("text " + i), false, Synthetic.vectors(1024)));
        }
        ((TieredPredictionCache) cache).cleanUp();
        assertThat(meters.gauge("entries", "level", "memory")).isBetween(1.0, 10.0);
        assertThat(meters.gauge("bytes", "level", "memory")).isBetween((double) entryBytes, 10.0 * entryBytes);
    }

    @Test
    void entries_expireAfterTheTtl_measuredByTheInjectedTicker() throws Exception {
        FakeTicker ticker = new FakeTicker();
        PredictionCache cache = cache(PredictionCache.builder().ttl(Duration.ofMinutes(10)).ticker(ticker)
                .executor(Runnable::run));
        // A compute that completes before get() returns, so that Caffeine has stamped the entry's
        // write time before the test moves the clock (with an asynchronous one the stamp could land
        // after the first advance).
        AtomicInteger calls = new AtomicInteger();
        Function<List<String>, CompletableFuture<List<TextResult>>> counting = texts -> {
            calls.incrementAndGet();
            return Synthetic.vectors(2).apply(texts);
        };
        await(cache.get(SCOPE, List.of("fresh"), false, counting));
        ticker.advance(Duration.ofMinutes(9));
        await(cache.get(SCOPE, List.of("fresh"), false, counting));
        assertThat(calls.get()).isEqualTo(1);

        ticker.advance(Duration.ofMinutes(2));
        await(cache.get(SCOPE, List.of("fresh"), false, counting));
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void computeAnsweringTheWrongNumberOfPredictions_failsTheCallAndCachesNothing() throws Exception {
        PredictionCache cache = cache();
        Function<List<String>, CompletableFuture<List<TextResult>>> short1 =
                texts -> CompletableFuture.completedFuture(List.of(TextResult.of(new float[] {1}, 1, false)));
        assertThatThrownBy(() -> await(cache.get(SCOPE, List.of("u", "v"), false, short1)))
                .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("1 predictions for 2 texts");

        await(cache.get(SCOPE, List.of("u", "v"), false, model.compute()));
        assertThat(model.batches).containsExactly(List.of("u", "v"));
    }

    @Test
    void computeAnsweringAnImmutableList_answersTheCall() throws Exception {
        // List.of/List.copyOf throw for contains(null): the check for null answers must not use it,
        // or the call would never complete.
        PredictionCache cache = cache();
        TextResult one = TextResult.of(new float[] {1, 2}, 3, false);
        List<TextResult> answer = await(cache.get(SCOPE, List.of("immutable"), false,
                texts -> CompletableFuture.completedFuture(List.copyOf(List.of(one)))));
        assertThat(answer).containsExactly(one);
    }

    @Test
    void computeThrowing_failsTheCallWithItsException() {
        PredictionCache cache = cache();
        Function<List<String>, CompletableFuture<List<TextResult>>> throwing = texts -> {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "not a classifier");
        };
        assertThatThrownBy(() -> await(cache.get(SCOPE, List.of("w"), false, throwing)))
                .cause().isInstanceOf(PeregrineException.class).hasMessage("not a classifier");
        assertThat(meters.gauge("entries", "level", "memory")).isZero();
    }

    @Test
    void emptyRequest_isAnsweredAtOnceWithoutComputing() throws Exception {
        PredictionCache cache = cache();
        assertThat(await(cache.get(SCOPE, List.of(), false, model.compute()))).isEmpty();
        assertThat(model.calls.get()).isZero();
    }

    @Test
    void nullText_isRejected() {
        PredictionCache cache = cache();
        List<String> texts = new ArrayList<>();
        texts.add("fine");
        texts.add(null);
        assertThatThrownBy(() -> cache.get(SCOPE, texts, false, model.compute()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("texts[1]");
    }

    @Test
    void closedCache_passesCallsStraightToCompute() throws Exception {
        PredictionCache cache = cache();
        await(cache.get(SCOPE, List.of("k"), false, model.compute()));
        cache.close();
        await(cache.get(SCOPE, List.of("k"), false, model.compute()));
        assertThat(model.calls.get()).isEqualTo(2);
    }

    @Test
    void meters_countTextsPerLevelAndEstimateBytes() throws Exception {
        PredictionCache cache = cache();
        await(cache.get(SCOPE, List.of("m1", "m2", "m1"), false, model.compute()));
        await(cache.get(SCOPE, List.of("m1", "m3"), false, model.compute()));
        ((TieredPredictionCache) cache).cleanUp();

        assertThat(meters.memoryMisses()).isEqualTo(3);
        assertThat(meters.memoryHits()).isEqualTo(1);
        assertThat(meters.gauge("entries", "level", "memory")).isEqualTo(3);
        int perEntry = TieredPredictionCache.ENTRY_OVERHEAD_BYTES + 4 * 3;
        assertThat(meters.gauge("bytes", "level", "memory")).isEqualTo(3.0 * perEntry);
        assertThat(registry.find("peregrine.cache.redis.connected").gauge()).as("no Redis configured").isNull();
    }

    /** Computes made-up vectors of a fixed size at once, for tests where only sizes matter. */
    static final class Synthetic {
        static Function<List<String>, CompletableFuture<List<TextResult>>> vectors(int dimension) {
            return texts -> {
                List<TextResult> out = new ArrayList<>();
                for (String t : texts) {
                    float[] v = new float[dimension];
                    for (int i = 0; i < dimension; i++) {
                        v[i] = t.hashCode() * 31 + i;
                    }
                    out.add(TextResult.of(v, t.length(), false));
                }
                return CompletableFuture.completedFuture(out);
            };
        }
    }
}
