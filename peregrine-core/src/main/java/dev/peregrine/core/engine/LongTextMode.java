package dev.peregrine.core.engine;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What happens to a text longer than the model's maximum length.
 *
 * <ul>
 *   <li>{@link #TRUNCATE}: its first tokens up to the limit are used and the rest is ignored (the
 *       result says it was truncated).</li>
 *   <li>{@link #REJECT}: it is refused with {@link ErrorKind#INPUT_TOO_LONG}, naming the limit.</li>
 *   <li>{@link #CHUNK}: it is split into overlapping windows of at most the limit
 *       ({@link dev.peregrine.core.tokenize.TextWindows}), each run like a text of its own, and the windows' outputs are pooled
 *       into one answer ({@link WindowPooling}). A text within the limit is one window, answered
 *       exactly as in the other modes.</li>
 * </ul>
 */
public enum LongTextMode {
    TRUNCATE, CHUNK, REJECT;

    /** The name on the wire and on the command line: {@code truncate}, {@code chunk}, {@code reject}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a mode by its {@link #id()} (case-insensitive).
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} naming the choices
     */
    public static LongTextMode parse(String value) {
        if (value != null) {
            for (LongTextMode m : values()) {
                if (m.id().equalsIgnoreCase(value.trim())) {
                    return m;
                }
            }
        }
        throw new PeregrineException(ErrorKind.INVALID_INPUT, "long_text must be one of "
                + Arrays.stream(values()).map(LongTextMode::id).collect(Collectors.joining(", ")) + ", not '"
                + (value == null ? "null" : value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
    }

    /** The mode the older boolean {@code truncate} option means: true cuts, false refuses. */
    public static LongTextMode ofTruncate(boolean truncate) {
        return truncate ? TRUNCATE : REJECT;
    }
}
