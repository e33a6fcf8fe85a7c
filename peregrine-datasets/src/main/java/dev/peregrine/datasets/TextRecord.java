package dev.peregrine.datasets;

import java.util.Objects;

/**
 * One text read from a data file.
 *
 * @param line  where it was found (1-based line of the file; for CSV, the record's first line)
 * @param text  the text
 * @param label its label, or null when the file has none
 * @param id    the caller's identifier for it, or null when none was asked for
 */
public record TextRecord(long line, String text, String label, String id) {
    public TextRecord {
        Objects.requireNonNull(text, "text");
    }

    public static TextRecord of(String text) {
        return new TextRecord(0, text, null, null);
    }

    public static TextRecord labelled(String text, String label) {
        return new TextRecord(0, text, Objects.requireNonNull(label, "label"), null);
    }
}
