package dev.peregrine.core;

/**
 * A text is longer than the model accepts and truncation was not allowed. Carries the facts, so a
 * layer that passed on only some of a request's texts (a cache) can report the text by its
 * position in the request.
 *
 * <p>Two forms: one counted in tokens (the text was tokenized and came out too long), and one
 * counted in characters (the text is longer than the tokenizer's character budget, so it was
 * refused without being tokenized: see {@link dev.peregrine.core.tokenize.TextTokenizer#charBudget()}).
 */
public final class InputTooLongException extends PeregrineException {

    private final int index;
    private final int tokens;
    private final int characters;
    private final int limit;

    /**
     * @param index  the text's position in the list that was encoded
     * @param tokens its token count, special tokens included
     * @param limit  the model's maximum
     */
    public InputTooLongException(int index, int tokens, int limit) {
        this(index, tokens, 0, limit);
    }

    private InputTooLongException(int index, int tokens, int characters, int limit) {
        super(ErrorKind.INPUT_TOO_LONG, message(index, tokens, characters, limit));
        this.index = index;
        this.tokens = tokens;
        this.characters = characters;
        this.limit = limit;
    }

    /**
     * A text refused by its length in characters, before tokenizing.
     *
     * @param characters its length (UTF-16 units), more than the tokenizer's character budget
     * @param limit      the model's maximum in tokens
     */
    public static InputTooLongException ofCharacters(int index, int characters, int limit) {
        return new InputTooLongException(index, 0, characters, limit);
    }

    private static String message(int index, int tokens, int characters, int limit) {
        if (characters > 0) {
            return "input " + index + " has " + characters + " characters, more than the model's limit of " + limit
                    + " tokens can hold (allow truncation to cut it)";
        }
        return "input " + index + " has " + tokens + " tokens, more than the model's limit of " + limit
                + " (allow truncation to cut it)";
    }

    public int index() {
        return index;
    }

    /** Its token count, or 0 when it was refused by characters without being tokenized. */
    public int tokens() {
        return tokens;
    }

    /** Its length in characters when it was refused by characters, else 0. */
    public int characters() {
        return characters;
    }

    public int limit() {
        return limit;
    }

    /** The same failure reported at another position. */
    public InputTooLongException at(int newIndex) {
        return new InputTooLongException(newIndex, tokens, characters, limit);
    }
}
