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
    TSV,
    /** Apache Parquet, read and written through embedded DuckDB. */
    PARQUET;

    /** The format a file's extension suggests: .jsonl/.ndjson/.json, .csv, .tsv, .parquet/.pq, otherwise text. */
    public static DataFormat detect(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet") || name.endsWith(".pq")) {
            return PARQUET;
        }
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
            throw new IllegalArgumentException("unknown data format '" + name + "': expected text, jsonl, csv, tsv or parquet");
        }
    }
}
