package dev.peregrine.core;

/** Facts about input texts that every caller (server, command line) must judge the same way. */
public final class Texts {

    private Texts() {
    }

    /**
     * Whether a text has nothing a model could read: empty, or only whitespace and invisible
     * format characters (zero-width space and joiners, word joiner, byte-order mark, soft hyphen).
     * Such a text is refused as empty rather than embedded as noise.
     */
    public static boolean isBlank(CharSequence text) {
        for (int i = 0; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            if (!Character.isWhitespace(cp) && !Character.isSpaceChar(cp) && Character.getType(cp) != Character.FORMAT) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }
}
