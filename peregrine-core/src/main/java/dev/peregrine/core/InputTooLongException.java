package dev.peregrine.core;

/**
 * A text is longer than the model accepts and truncation was not allowed. Carries the facts, so a
 * layer that passed on only some of a request's texts (a cache) can report the text by its
 * position in the request.
 */
public final class InputTooLongException extends PeregrineException {

    private final int index;
    private final int tokens;
    private final int limit;

    /**
     * @param index  the text's position in the list that was encoded
     * @param tokens its token count, special tokens included
     * @param limit  the model's maximum
     */
    public InputTooLongException(int index, int tokens, int limit) {
        super(ErrorKind.INPUT_TOO_LONG, "input " + index + " has " + tokens + " tokens, more than the model's limit of "
                + limit + " (allow truncation to cut it)");
        this.index = index;
        this.tokens = tokens;
        this.limit = limit;
    }

    public int index() {
        return index;
    }

    public int tokens() {
        return tokens;
    }

    public int limit() {
        return limit;
    }

    /** The same failure reported at another position. */
    public InputTooLongException at(int newIndex) {
        return new InputTooLongException(newIndex, tokens, limit);
    }
}
