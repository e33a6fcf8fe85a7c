package dev.peregrine.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A user's text data file: plain text (one text a line), JSONL, CSV/TSV with a header, or Parquet
 * (read through embedded DuckDB, {@link DuckDbTable}). Records are
 * streamed, so files larger than memory can be processed. Every problem is reported as a
 * {@link PeregrineException} of kind {@link ErrorKind#INVALID_INPUT} that names the file and line:
 * a missing file, an unknown column (with the columns that exist), a line that is not JSON, a
 * record without a text, a file with no texts at all.
 *
 * <p>Immutable and thread-safe; each {@link #stream()} opens the file anew.
 */
public final class TextDataFile {

    /** Default name of the text field or column. */
    public static final String DEFAULT_TEXT_FIELD = "text";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final DataFormat format;
    private final String textField;
    private final String labelField;
    private final String idField;
    private final boolean textFieldGiven;

    private TextDataFile(Builder b) {
        this.file = b.file;
        this.format = b.format != null ? b.format : DataFormat.detect(b.file);
        this.textFieldGiven = b.textField != null;
        this.textField = b.textField != null ? b.textField : DEFAULT_TEXT_FIELD;
        this.labelField = b.labelField;
        this.idField = b.idField;
    }

    public static Builder at(Path file) {
        return new Builder(file);
    }

    public Path file() {
        return file;
    }

    public DataFormat format() {
        return format;
    }

    /** Reads every record into memory. */
    public List<TextRecord> readAll() {
        try (Stream<TextRecord> s = stream()) {
            List<TextRecord> all = new ArrayList<>();
            s.forEach(all::add);
            if (all.isEmpty()) {
                throw fail("has no texts");
            }
            return all;
        }
    }

    /** Counts the records without keeping them (for progress reporting). */
    public long count() {
        try (Stream<TextRecord> s = stream()) {
            return s.count();
        }
    }

    /**
     * Streams the records lazily; close the stream when done. An empty file gives an empty stream
     * (use {@link #readAll()} or check the count to reject it).
     */
    public Stream<TextRecord> stream() {
        if (!Files.exists(file)) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "no such input file: " + file);
        }
        if (Files.isDirectory(file)) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, file + " is a folder, not a data file");
        }
        if (format == DataFormat.PARQUET) {
            return DuckDbTable.open(file, format, null, textField, idField, labelField).stream();
        }
        try {
            BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            Iterator<TextRecord> it = switch (format) {
                case TEXT -> textLines(reader);
                case JSONL -> jsonLines(reader);
                case CSV, TSV -> csvRecords(reader);
                case PARQUET -> throw new IllegalStateException("Parquet is read through DuckDB");
            };
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                    .onClose(() -> {
                        try {
                            reader.close();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private Iterator<TextRecord> textLines(BufferedReader reader) {
        if (labelField != null || idField != null) {
            throw fail("is plain text (one text a line), so it has no label or id columns; use JSONL or CSV");
        }
        return new LineIterator(reader) {
            @Override
            TextRecord parse(String line, long number) {
                if (number == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
                return line.isBlank() ? null : new TextRecord(number, line, null, null);
            }
        };
    }

    private Iterator<TextRecord> jsonLines(BufferedReader reader) {
        return new LineIterator(reader) {
            @Override
            TextRecord parse(String line, long number) {
                if (line.isBlank()) {
                    return null;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw failAt(number, "is not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (!node.isObject()) {
                    if (node.isTextual() && !textFieldGiven && labelField == null && idField == null) {
                        return new TextRecord(number, node.asText(), null, null);
                    }
                    throw failAt(number, "is not a JSON object");
                }
                JsonNode text = node.get(textField);
                if (text == null || text.isNull()) {
                    throw failAt(number, "has no '" + textField + "' field (fields: " + fieldNames(node) + ")");
                }
                if (!text.isTextual()) {
                    throw failAt(number, "field '" + textField + "' is " + text.getNodeType().name().toLowerCase() + ", not a string");
                }
                return new TextRecord(number, text.asText(), optionalField(node, labelField, number),
                        optionalField(node, idField, number));
            }
        };
    }

    private String optionalField(JsonNode node, String field, long number) {
        if (field == null) {
            return null;
        }
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw failAt(number, "has no '" + field + "' field (fields: " + fieldNames(node) + ")");
        }
        return value.isValueNode() ? value.asText() : value.toString();
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return String.join(", ", names);
    }

    private Iterator<TextRecord> csvRecords(BufferedReader reader) throws IOException {
        CSVFormat csv = (format == DataFormat.TSV ? CSVFormat.TDF : CSVFormat.RFC4180).builder()
                .setHeader().setSkipHeaderRecord(true).setIgnoreEmptyLines(true).setTrim(false).get();
        CSVParser parser;
        try {
            parser = CSVParser.parse(reader, csv);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw fail("has a malformed header (" + e.getMessage() + ")");
        }
        List<String> columns = new ArrayList<>(parser.getHeaderNames());
        if (!columns.isEmpty() && columns.get(0).startsWith("\uFEFF")) {
            throw fail("starts with a byte order mark; save it as UTF-8 without BOM");
        }
        for (String wanted : new String[] {textField, labelField, idField}) {
            if (wanted != null && !columns.contains(wanted)) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "column '" + wanted + "' not found in "
                        + file + " (columns: " + String.join(", ", columns) + ")");
            }
        }
        Iterator<CSVRecord> records = parser.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return records.hasNext();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw fail("is not valid " + format + " (" + rootMessage(e) + ")");
                }
            }

            @Override
            public TextRecord next() {
                CSVRecord r;
                try {
                    r = records.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw fail("is not valid " + format + " (" + rootMessage(e) + ")");
                }
                long line = r.getRecordNumber() + 1;
                if (!r.isConsistent()) {
                    throw failAt(line, "has " + r.size() + " fields but the header has " + columns.size());
                }
                return new TextRecord(line, r.get(textField), labelField == null ? null : r.get(labelField),
                        idField == null ? null : r.get(idField));
            }
        };
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private PeregrineException fail(String what) {
        return new PeregrineException(ErrorKind.INVALID_INPUT, "input file " + file + " " + what);
    }

    private PeregrineException failAt(long line, String what) {
        return new PeregrineException(ErrorKind.INVALID_INPUT, file + " line " + line + " " + what);
    }

    /** Reads lines lazily, numbering them and skipping the ones {@link #parse} maps to null. */
    private abstract class LineIterator implements Iterator<TextRecord> {
        private final BufferedReader reader;
        private long number;
        private TextRecord next;
        private boolean done;

        LineIterator(BufferedReader reader) {
            this.reader = reader;
        }

        abstract TextRecord parse(String line, long lineNumber);

        @Override
        public boolean hasNext() {
            while (next == null && !done) {
                String line;
                try {
                    line = reader.readLine();
                } catch (CharacterCodingException e) {
                    // The reader decodes ahead, so the bad bytes are at or after the next line.
                    throw fail("is not UTF-8 text (bad bytes at or after line " + (number + 1) + ")");
                } catch (IOException e) {
                    throw fail("could not be read: " + e.getMessage());
                }
                if (line == null) {
                    done = true;
                } else {
                    next = parse(line, ++number);
                }
            }
            return next != null;
        }

        @Override
        public TextRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            TextRecord r = next;
            next = null;
            return r;
        }
    }

    /** Chooses the format and the fields; unset values are detected or defaulted. */
    public static final class Builder {
        private final Path file;
        private DataFormat format;
        private String textField;
        private String labelField;
        private String idField;

        private Builder(Path file) {
            this.file = Objects.requireNonNull(file, "file");
        }

        /** The format; null detects it from the file's extension. */
        public Builder format(DataFormat value) {
            this.format = value;
            return this;
        }

        /** The text field or column; null for {@value #DEFAULT_TEXT_FIELD}. */
        public Builder textField(String value) {
            this.textField = value;
            return this;
        }

        /** The label field or column; null when the data has no labels. */
        public Builder labelField(String value) {
            this.labelField = value;
            return this;
        }

        /** A field or column whose value is carried along as the record's id; null for none. */
        public Builder idField(String value) {
            this.idField = value;
            return this;
        }

        public TextDataFile build() {
            return new TextDataFile(this);
        }
    }
}
