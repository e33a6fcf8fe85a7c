package dev.peregrine.server.http;

/** What an error message may repeat of a client's input: never more than a short prefix. */
final class Echo {

    /** Characters of a client's value that an error message repeats. */
    static final int MAX_CHARS = 100;

    private Echo() {
    }

    /** {@code value} itself when short, else its first {@value #MAX_CHARS} characters and an ellipsis. */
    static String of(String value) {
        if (value == null || value.length() <= MAX_CHARS) {
            return value;
        }
        int end = MAX_CHARS;
        if (Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(0, end) + "…";
    }
}
