package dev.peregrine.datasets;

import java.nio.file.Path;
import java.util.Locale;

/** The layouts of text data files Peregrine reads. */
public enum DataFormat {
    /** One text per line; blank lines are skipped. */
    TEXT,
    /** One JSON object per line, the text in a named field. */
    JSONL,
    /** Comma-separated values with a header row, the text in a named column. */
    CSV,
    /** Tab-separated values with a header row. */
    TSV;

    /** The format a file's extension suggests: .jsonl/.ndjson/.json, .csv, .tsv, otherwise text. */
    public static DataFormat detect(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return JSONL;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".tsv")) {
            return TSV;
        }
        return TEXT;
    }

    public static DataFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown data format '" + name + "': expected text, jsonl, csv or tsv");
        }
    }
}
