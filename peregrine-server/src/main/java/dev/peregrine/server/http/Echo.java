package dev.peregrine.server.http;

/** What an error message may repeat of a client's input: never more than a short prefix. */
final class Echo {

    /** Characters of a client's value that an error message repeats. */
    static final int MAX_CHARS = 100;

    /** Characters of an error message as a whole: room for a few echoed values and the explanation. */
    static final int MAX_MESSAGE_CHARS = 1000;

    private Echo() {
    }

    /** An error message cut to {@value #MAX_MESSAGE_CHARS} characters, for messages of layers that echo freely. */
    static String message(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return message;
        }
        int end = MAX_MESSAGE_CHARS;
        if (Character.isHighSurrogate(message.charAt(end - 1))) {
            end--;
        }
        return message.substring(0, end) + "…";
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
