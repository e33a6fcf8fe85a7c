package dev.peregrine.datasets.offline;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.datasets.DuckDb;
import dev.peregrine.datasets.TextRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Predictions as a Parquet file, written through embedded DuckDB.
 *
 * <h2>Why part files</h2>
 * A Parquet file cannot be appended to, and a half-written one is unreadable, so rows go to
 * committed parts beside the output ({@code OUT.parts/part-<first row>.parquet}), each written to a
 * {@code .tmp} name and renamed into place atomically. At the end the parts are merged, in order,
 * into {@code OUT} (again through a temporary name and an atomic rename), and the folder is removed.
 * A kill at any moment therefore leaves one of: parts (plus perhaps a {@code .tmp} to discard), parts
 * and the merged file (the merge was done), or only the merged file. Resuming reads that state back
 * as a prefix of the rows: parts must start at row 0 and follow each other without a gap.
 *
 * <p>Columns: the id column (the caller's, as text, or {@code row}, 0-based BIGINT), then
 * {@code embedding FLOAT[]}, or {@code label VARCHAR, score FLOAT} and, on request,
 * {@code scores FLOAT[]} (every class's probability, in label order).
 */
public final class ParquetSink implements PredictionSink {

    /** Rows per committed part unless told otherwise. */
    public static final int DEFAULT_PART_ROWS = 50_000;

    private static final Pattern PART = Pattern.compile("part-(\\d{12})\\.parquet");

    private final Path output;
    private final Path parts;
    private final OutputLayout layout;
    private final int partRows;
    private final long resumedRows;
    private final String lastId;
    private final DuckDBConnection connection;
    private DuckDBAppender appender;
    private long partStart;
    private long rowsInPart;

    private ParquetSink(Path output, OutputLayout layout, int partRows, long resumedRows, String lastId,
                        DuckDBConnection connection) throws SQLException {
        this.output = output;
        this.parts = partsFolder(output);
        this.layout = layout;
        this.partRows = partRows;
        this.resumedRows = resumedRows;
        this.lastId = lastId;
        this.connection = connection;
        this.partStart = resumedRows;
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE chunk (" + columns() + ")");
        }
        this.appender = connection.createAppender("chunk");
    }

    /** Where the parts of {@code output} are kept until the merge. */
    public static Path partsFolder(Path output) {
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + ".parts");
    }

    /**
     * Opens the output: fresh (any earlier output and parts are removed), or resuming from what they
     * hold.
     *
     * @param partRows rows per committed part: a kill loses at most this much work
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when the parts found cannot be resumed
     *                            (a gap, or columns of another layout)
     */
    public static ParquetSink open(Path output, OutputLayout layout, int partRows, boolean resume) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(layout, "layout");
        if (partRows < 1) {
            throw new IllegalArgumentException("partRows must be at least 1, got " + partRows);
        }
        Path parts = partsFolder(output);
        DuckDBConnection c = null;
        try {
            Path parent = output.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            c = (DuckDBConnection) DuckDb.openInMemory(false);
            long rows = 0;
            String lastId = null;
            if (!resume) {
                deleteFolder(parts);
                Files.deleteIfExists(output);
            } else {
                Files.deleteIfExists(tmp(output));
                if (Files.exists(output)) {
                    // The merge finished: the parts (if still there) are copies of it.
                    deleteFolder(parts);
                    Files.createDirectories(parts);
                    move(output, parts.resolve(partName(0)));
                }
                List<Path> found = listParts(parts);
                for (Path p : found) {
                    long start = partStart(p);
                    if (start != rows) {
                        throw new PeregrineException(ErrorKind.INVALID_INPUT, "cannot resume " + output + ": "
                                + p.getFileName() + " starts at row " + start + " but the parts before it hold "
                                + rows + " rows");
                    }
                    rows += countRows(c, p);
                }
                if (!found.isEmpty()) {
                    checkLayout(c, found.get(0), layout, output);
                    if (layout.idColumn() != null && rows > 0) {
                        lastId = lastKey(c, found.get(found.size() - 1), layout);
                    }
                }
            }
            return new ParquetSink(output, layout, partRows, rows, lastId, c);
        } catch (IOException e) {
            DuckDb.closeQuietly(c);
            throw new UncheckedIOException("cannot open " + output + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            DuckDb.closeQuietly(c);
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), new IOException(e));
        } catch (RuntimeException e) {
            DuckDb.closeQuietly(c);
            throw e;
        }
    }

    private String columns() {
        String key = DuckDb.identifier(layout.keyColumn()) + (layout.idColumn() != null ? " VARCHAR" : " BIGINT");
        if (layout.task() == Task.EMBEDDING) {
            return key + ", embedding FLOAT[]";
        }
        return key + ", label VARCHAR, score FLOAT" + (layout.scores() ? ", scores FLOAT[]" : "");
    }

    private static void checkLayout(Connection c, Path part, OutputLayout layout, Path output) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + DuckDb.literal(part) + ")")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        List<String> expected = new ArrayList<>(List.of(layout.keyColumn()));
        if (layout.task() == Task.EMBEDDING) {
            expected.add("embedding");
        } else {
            expected.addAll(List.of("label", "score"));
            if (layout.scores()) {
                expected.add("scores");
            }
        }
        if (!names.equals(expected)) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "cannot resume " + output + ": it has columns "
                    + names + " but this run writes " + expected + " (same model and options as the first run?)");
        }
    }

    private static long countRows(Connection c, Path part) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM read_parquet(" + DuckDb.literal(part) + ")")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String lastKey(Connection c, Path part, OutputLayout layout) throws SQLException {
        long n = countRows(c, part);
        if (n == 0) {
            return null;
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + DuckDb.identifier(layout.keyColumn()) + " FROM read_parquet("
                     + DuckDb.literal(part) + ") LIMIT 1 OFFSET " + (n - 1))) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static List<Path> listParts(Path parts) throws IOException {
        if (!Files.isDirectory(parts)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(parts)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (PART.matcher(name).matches()) {
                    found.add(p);
                } else if (name.endsWith(".tmp")) {
                    Files.delete(p); // a part whose write a kill interrupted
                }
            }
        }
        found.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return found;
    }

    private static long partStart(Path part) {
        Matcher m = PART.matcher(part.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(part.toString());
        }
        return Long.parseLong(m.group(1));
    }

    private static String partName(long start) {
        return String.format("part-%012d.parquet", start);
    }

    @Override
    public long resumedRows() {
        return resumedRows;
    }

    @Override
    public String lastId() {
        return lastId;
    }

    @Override
    public void write(long row, TextRecord record, Prediction p) {
        try {
            appender.beginRow();
            if (layout.idColumn() != null) {
                if (record.id() == null) {
                    appender.appendNull();
                } else {
                    appender.append(record.id());
                }
            } else {
                appender.append(row);
            }
            if (layout.task() == Task.EMBEDDING) {
                appender.append(p.values());
            } else {
                Classification c = Classification.of(layout.labels(), p.values());
                appender.append(c.label());
                appender.append((float) c.score());
                if (layout.scores()) {
                    appender.append(p.values());
                }
            }
            appender.endRow();
            rowsInPart++;
        } catch (SQLException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), new IOException(e));
        }
    }

    @Override
    public void checkpoint() {
        if (rowsInPart >= partRows) {
            commitPart();
        }
    }

    private void commitPart() {
        if (rowsInPart == 0) {
            return;
        }
        try {
            appender.close();
            Files.createDirectories(parts);
            Path target = parts.resolve(partName(partStart));
            Path temporary = tmp(target);
            try (Statement s = connection.createStatement()) {
                s.execute("COPY chunk TO " + DuckDb.literal(temporary) + " (FORMAT parquet, COMPRESSION zstd)");
                s.execute("DELETE FROM chunk");
            }
            move(temporary, target);
            partStart += rowsInPart;
            rowsInPart = 0;
            appender = connection.createAppender("chunk");
        } catch (SQLException e) {
            throw new UncheckedIOException("cannot write a part of " + output + ": " + e.getMessage(), new IOException(e));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a part of " + output + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void finish() {
        commitPart();
        try {
            List<Path> found = listParts(parts);
            Path temporary = tmp(output);
            try (Statement s = connection.createStatement()) {
                String source = found.isEmpty() ? "chunk" : "read_parquet([" + String.join(", ",
                        found.stream().map(DuckDb::literal).toList()) + "])";
                s.execute("COPY (SELECT * FROM " + source + ") TO " + DuckDb.literal(temporary)
                        + " (FORMAT parquet, COMPRESSION zstd)");
            }
            move(temporary, output);
            deleteFolder(parts);
        } catch (SQLException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), new IOException(e));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        DuckDb.closeQuietly(appender);
        DuckDb.closeQuietly(connection);
    }

    private static Path tmp(Path p) {
        return p.resolveSibling(p.getFileName() + ".tmp");
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteFolder(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(folder);
    }
}
