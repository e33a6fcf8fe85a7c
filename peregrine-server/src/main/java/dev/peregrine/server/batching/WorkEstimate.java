package dev.peregrine.server.batching;

/**
 * What the batcher's queued work will cost: the measured time per token of real forward passes,
 * and the measured tokens per text, both as moving averages weighted by tokens (a pass of 600
 * tokens moves the cost estimate far more than a pass of 6, whose time is mostly fixed overhead).
 * Pure arithmetic, no clock; thread-safe (workers report passes while callers ask).
 *
 * <p>Before the first pass the cost is a seed, {@link #SEED_NANOS_PER_TOKEN}, chosen high (slower
 * than any model Peregrine serves on any CPU it runs on), so that a burst arriving before anything
 * was measured is held to little work rather than flooding the queue; the first real pass replaces
 * most of it.
 */
final class WorkEstimate {

    /** The cost per token assumed before any pass was measured: 1 ms, pessimistic on purpose. */
    static final double SEED_NANOS_PER_TOKEN = 1_000_000;
    /** The tokens per text assumed before any text was seen. */
    static final double SEED_TOKENS_PER_TEXT = 32;
    /** Tokens of evidence after which an old average counts for about a third: a few full passes. */
    static final double HALF_LIFE_TOKENS = 4096;

    private double nanosPerToken = SEED_NANOS_PER_TOKEN;
    private boolean measured;
    private double tokensPerText = SEED_TOKENS_PER_TEXT;

    /** A forward pass over {@code tokens} real tokens (padding excluded) took {@code nanos}. */
    synchronized void pass(long tokens, long nanos) {
        if (tokens <= 0 || nanos < 0) {
            return;
        }
        double perToken = (double) nanos / tokens;
        if (!measured) {
            nanosPerToken = perToken;
            measured = true;
            return;
        }
        double weight = tokens / (tokens + HALF_LIFE_TOKENS);
        nanosPerToken += weight * (perToken - nanosPerToken);
    }

    /** Texts of {@code tokens} tokens in all were submitted. */
    synchronized void submitted(int texts, long tokens) {
        if (texts <= 0) {
            return;
        }
        double weight = tokens / (tokens + HALF_LIFE_TOKENS);
        tokensPerText += weight * ((double) tokens / texts - tokensPerText);
    }

    synchronized double nanosPerToken() {
        return nanosPerToken;
    }

    /** The tokens {@code texts} texts not yet tokenized are expected to have. */
    synchronized long tokensFor(int texts) {
        return (long) Math.ceil(texts * tokensPerText);
    }

    /** How long {@code workers} workers take to run {@code tokens} tokens, by the current estimate. */
    synchronized long drainNanos(long tokens, int workers) {
        return (long) Math.min(Long.MAX_VALUE / 2, tokens * nanosPerToken / Math.max(1, workers));
    }
}
