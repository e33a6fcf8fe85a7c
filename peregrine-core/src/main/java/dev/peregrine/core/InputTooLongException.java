package dev.peregrine.core;

/**
 * A text is longer than the model accepts and truncation was not allowed. Carries the facts, so a
 * layer that passed on only some of a request's texts (a cache) can report the text by its
 * position in the request.
 *
 * <p>Three forms: one counted in tokens (the text was tokenized and came out too long), one
 * counted in characters (the text is longer than the tokenizer's character budget, so it was
 * refused without being tokenized: see {@link dev.peregrine.core.tokenize.TextTokenizer#charBudget()}),
 * and one for a text to be split into windows that is longer than the characters allowed for that
 * ({@link dev.peregrine.core.engine.LongTextOptions#maxChars()}).
 */
public final class InputTooLongException extends PeregrineException {

    private final int index;
    private final int tokens;
    private final int characters;
    private final int limit;
    private final int charLimit;

    /**
     * @param index  the text's position in the list that was encoded
     * @param tokens its token count, special tokens included
     * @param limit  the model's maximum
     */
    public InputTooLongException(int index, int tokens, int limit) {
        this(index, tokens, 0, limit, 0);
    }

    private InputTooLongException(int index, int tokens, int characters, int limit, int charLimit) {
        super(ErrorKind.INPUT_TOO_LONG, message(index, tokens, characters, limit, charLimit));
        this.index = index;
        this.tokens = tokens;
        this.characters = characters;
        this.limit = limit;
        this.charLimit = charLimit;
    }

    /**
     * A text refused by its length in characters, before tokenizing.
     *
     * @param characters its length (UTF-16 units), more than the tokenizer's character budget
     * @param limit      the model's maximum in tokens
     */
    public static InputTooLongException ofCharacters(int index, int characters, int limit) {
        return new InputTooLongException(index, 0, characters, limit, 0);
    }

    /**
     * A text to be split into windows, refused by its length in characters before tokenizing.
     *
     * @param characters its length (UTF-16 units)
     * @param charLimit  the most characters a text to be split may have
     */
    public static InputTooLongException ofCharactersToSplit(int index, int characters, int charLimit) {
        return new InputTooLongException(index, 0, characters, 0, charLimit);
    }

    private static String message(int index, int tokens, int characters, int limit, int charLimit) {
        if (charLimit > 0) {
            return "input " + index + " has " + characters + " characters, more than the limit of " + charLimit
                    + " characters for a text split into windows";
        }
        if (characters > 0) {
            return "input " + index + " has " + characters + " characters, more than the model's limit of " + limit
                    + " tokens can hold (allow truncation to cut it, or chunking to split it into windows)";
        }
        return "input " + index + " has " + tokens + " tokens, more than the model's limit of " + limit
                + " (allow truncation to cut it, or chunking to split it into windows)";
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

    /** The model's maximum in tokens; 0 for a text refused by {@link #charLimit()}. */
    public int limit() {
        return limit;
    }

    /** The most characters of a text to be split into windows, when that is what it passed; else 0. */
    public int charLimit() {
        return charLimit;
    }

    /** The same failure reported at another position. */
    public InputTooLongException at(int newIndex) {
        return new InputTooLongException(newIndex, tokens, characters, limit, charLimit);
    }
}
