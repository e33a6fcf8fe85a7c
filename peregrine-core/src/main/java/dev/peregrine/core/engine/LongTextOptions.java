package dev.peregrine.core.engine;

/**
 * How {@link LongTextMode#CHUNK} splits a long text.
 *
 * @param overlap  tokens each window shares with the one before it (special tokens not counted),
 *                 so that no sentence is seen only cut in two; at most half a window is used
 *                 whatever is asked (see {@link dev.peregrine.core.tokenize.TextWindows#effectiveOverlap})
 * @param maxChars the longest text, in characters (UTF-16 units), that is split at all: a longer
 *                 one is refused before it is tokenized, since tokenizing costs by the character
 *                 and every window is a forward pass. It replaces the truncating modes' character
 *                 budget ({@link dev.peregrine.core.tokenize.TextTokenizer#charBudget()}), which is
 *                 sized for keeping only one window.
 */
public record LongTextOptions(int overlap, int maxChars) {

    /** Tokens shared by neighbouring windows: 1/8 of a 256-token window. */
    public static final int DEFAULT_OVERLAP = 32;
    /**
     * Characters of the longest text split into windows: a long support thread or a report of 15-20
     * pages (about 25,000 tokens of English, some 110 windows of 256 tokens), while a pasted log
     * file of megabytes is refused at once.
     */
    public static final int DEFAULT_MAX_CHARS = 100_000;

    public static final LongTextOptions DEFAULTS = new LongTextOptions(DEFAULT_OVERLAP, DEFAULT_MAX_CHARS);

    public LongTextOptions {
        if (overlap < 0) {
            throw new IllegalArgumentException("the long-text overlap must be >= 0 tokens, was " + overlap);
        }
        if (maxChars < 1) {
            throw new IllegalArgumentException("the long-text maximum must be >= 1 character, was " + maxChars);
        }
    }
}
