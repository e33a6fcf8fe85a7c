package dev.peregrine.datasets;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Texts selected from a data file by embedded DuckDB (no server): Parquet, CSV/TSV, JSONL or plain
 * text, optionally through the user's SQL. The file is exposed as a view named {@value #VIEW}, so a
 * query reads like {@code SELECT id, lower(body) AS text FROM input WHERE lang = 'en'}.
 *
 * <p>Rows are streamed from DuckDB (its streaming result mode), so memory stays bounded whatever
 * the file's size. Row order is the file's order (DuckDB preserves insertion order) unless the query
 * orders otherwise; {@code --resume} relies on the order being the same on every run, so a query
 * should be deterministic. Problems (missing file or column, SQL errors, a NULL text) are
 * {@link PeregrineException}s of kind {@link ErrorKind#INVALID_INPUT}.
 *
 * <p>Immutable; each {@link #stream()} opens its own in-memory DuckDB connection.
 */
public final class DuckDbTable {

    /** The name under which the input file is visible to a query. */
    public static final String VIEW = "input";

    private final Path file;
    private final DataFormat format;
    private final String query;
    private final String textColumn;
    private final String idColumn;
    private final String labelColumn;

    private DuckDbTable(Path file, DataFormat format, String query, String textColumn, String idColumn,
                        String labelColumn) {
        this.file = file;
        this.format = format;
        this.query = query;
        this.textColumn = textColumn;
        this.idColumn = idColumn;
        this.labelColumn = labelColumn;
    }

    /**
     * Checks the file and the query's columns and returns the table.
     *
     * @param format     null to detect it from the extension
     * @param query      SQL over the view {@value #VIEW}, or null for every row of the file
     * @param textColumn the column holding the text (null: {@value TextDataFile#DEFAULT_TEXT_FIELD})
     * @param idColumn   a column copied as each record's id, or null
     * @param labelColumn a column copied as each record's label, or null
     */
    public static DuckDbTable open(Path file, DataFormat format, String query, String textColumn, String idColumn,
                                   String labelColumn) {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "no such input file: " + file);
        }
        if (Files.isDirectory(file)) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, file + " is a folder, not a data file");
        }
        DataFormat fmt = format != null ? format : DataFormat.detect(file);
        String text = textColumn != null ? textColumn : TextDataFile.DEFAULT_TEXT_FIELD;
        if (query != null && query.isBlank()) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "the query is empty");
        }
        DuckDbTable table = new DuckDbTable(file, fmt, query, text, idColumn, labelColumn);
        table.checkColumns();
        return table;
    }

    /** The DuckDB table function that scans a file of this format. */
    static String scan(Path file, DataFormat format) {
        String path = DuckDb.literal(file);
        return switch (format) {
            case PARQUET -> "read_parquet(" + path + ")";
            case CSV -> "read_csv(" + path + ", header = true, all_varchar = false)";
            case TSV -> "read_csv(" + path + ", header = true, delim = '\t')";
            case JSONL -> "read_json(" + path + ", format = 'newline_delimited')";
            // One text a line, taken whole: no delimiter or quote character can occur in it.
            case TEXT -> "(SELECT text FROM read_csv(" + path + ", header = false, columns = {'text': 'VARCHAR'}, "
                    + "delim = chr(31), quote = '', escape = '', auto_detect = false) "
                    + "WHERE text IS NOT NULL AND trim(text) <> '')";
        };
    }

    private String selection() {
        return query != null ? query : "SELECT * FROM " + VIEW;
    }

    private String projected() {
        StringBuilder sql = new StringBuilder("SELECT CAST(").append(DuckDb.identifier(textColumn)).append(" AS VARCHAR)");
        sql.append(idColumn == null ? ", NULL" : ", CAST(" + DuckDb.identifier(idColumn) + " AS VARCHAR)");
        sql.append(labelColumn == null ? ", NULL" : ", CAST(" + DuckDb.identifier(labelColumn) + " AS VARCHAR)");
        return sql.append(" FROM (").append(selection()).append(") AS q").toString();
    }

    private void checkColumns() {
        try (Connection c = connect(false); Statement s = c.createStatement()) {
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("DESCRIBE " + selection())) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
            for (String wanted : new String[] {textColumn, idColumn, labelColumn}) {
                if (wanted != null && !columns.contains(wanted)) {
                    throw new PeregrineException(ErrorKind.INVALID_INPUT, "column '" + wanted + "' not found in "
                            + (query != null ? "the query's result" : file.toString())
                            + " (columns: " + String.join(", ", columns) + ")");
                }
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** Rows the selection yields (Parquet answers from its metadata; other formats are scanned). */
    public long count() {
        try (Connection c = connect(false); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM (" + selection() + ") AS q")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** Streams the records lazily in the selection's order; close the stream when done. */
    public Stream<TextRecord> stream() {
        Connection c = null;
        try {
            c = connect(true);
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery(projected());
            Connection connection = c;
            Iterator<TextRecord> it = new Iterator<>() {
                private long row;
                private TextRecord next;
                private boolean done;

                @Override
                public boolean hasNext() {
                    if (next == null && !done) {
                        try {
                            if (rs.next()) {
                                row++;
                                String text = rs.getString(1);
                                if (text == null) {
                                    throw new PeregrineException(ErrorKind.INVALID_INPUT, "row " + row + " of "
                                            + file + " has no text (NULL in '" + textColumn
                                            + "'); filter it out with --query");
                                }
                                next = new TextRecord(row, text, rs.getString(3), rs.getString(2));
                            } else {
                                done = true;
                            }
                        } catch (SQLException e) {
                            throw failure(e);
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
            };
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                    false).onClose(() -> DuckDb.closeQuietly(connection));
        } catch (SQLException e) {
            DuckDb.closeQuietly(c);
            throw failure(e);
        }
    }

    private PeregrineException failure(SQLException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage().strip();
        return new PeregrineException(ErrorKind.INVALID_INPUT, (query != null ? "query over " : "cannot read ")
                + file + " failed: " + message, e);
    }

    private Connection connect(boolean streaming) throws SQLException {
        Connection c = DuckDb.openInMemory(streaming);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE VIEW " + VIEW + " AS SELECT * FROM " + scan(file, format));
        } catch (SQLException e) {
            DuckDb.closeQuietly(c);
            throw e;
        }
        return c;
    }
}
