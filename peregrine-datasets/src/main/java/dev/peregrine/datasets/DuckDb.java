package dev.peregrine.datasets;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Small helpers for embedded DuckDB: private in-memory databases and SQL quoting. */
public final class DuckDb {

    private DuckDb() {
    }

    /**
     * A private in-memory DuckDB database (no server, no file).
     *
     * @param streaming stream query results instead of materializing them, so large selections
     *                  stay out of memory
     */
    public static Connection openInMemory(boolean streaming) throws SQLException {
        Properties p = new Properties();
        if (streaming) {
            p.setProperty("jdbc_stream_results", "true");
        }
        return DriverManager.getConnection("jdbc:duckdb:", p);
    }

    /** A SQL string literal. */
    public static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** A file's absolute path as a SQL string literal. */
    public static String literal(Path p) {
        return literal(p.toAbsolutePath().toString());
    }

    /** A quoted SQL identifier. */
    public static String identifier(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /** Closes, ignoring failures (used on paths that already report an error, or on read-only state). */
    public static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing to lose: the caller is already failing or only read
            }
        }
    }
}
