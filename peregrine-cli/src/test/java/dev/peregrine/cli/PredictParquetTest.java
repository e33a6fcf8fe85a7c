package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import dev.peregrine.datasets.DuckDb;
import dev.peregrine.datasets.offline.ParquetSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peregrine predict} over Parquet through embedded DuckDB: equality, --query, bounded memory, kill and resume. */
class PredictParquetTest {

    private static final List<String> LABELS = List.of("billing", "technical", "general");

    @TempDir
    Path dir;

    @Test
    void parquetToParquet_embeddingsEqualTheEngine_inInputOrder_repeatsComputedOnce() throws Exception {
        Path in = dir.resolve("in.parquet");
        // 1,500 rows over 150 distinct texts of varied length, ids as text.
        sql("COPY (SELECT 'r' || i AS id, 'message ' || (i % 150) || repeat(' and more words', (i % 150) % 9) AS text "
                + "FROM range(1500) t(i)) TO " + DuckDb.literal(in) + " (FORMAT parquet)");
        Path out = dir.resolve("out/embeddings.parquet");
        CliRun run = CliRun.of("predict", "-i", in.toString(), "--id-column", "id", "-o", out.toString(),
                "--window", "400");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("predict: 1500 texts in").contains("predict: 150 computed, 1350 repeated");
        assertThat(ParquetSink.partsFolder(out)).doesNotExist();

        List<String> ids = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        try (Connection c = DuckDb.openInMemory(false); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, embedding FROM read_parquet(" + DuckDb.literal(out) + ")")) {
            assertThat(rs.getMetaData().getColumnTypeName(2)).isEqualTo("FLOAT[]");
            while (rs.next()) {
                ids.add(rs.getString(1));
                vectors.add(floats(rs.getArray(2)));
            }
        }
        assertThat(ids).hasSize(1500);
        for (int i = 0; i < 1500; i++) {
            assertThat(ids.get(i)).isEqualTo("r" + i);
        }
        List<String> distinct = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            distinct.add("message " + i + " and more words".repeat(i % 9));
        }
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(null))) {
            List<float[]> expected = engine.embed(distinct);
            for (int i = 0; i < 1500; i++) {
                float[] want = expected.get(i % 150);
                float[] got = vectors.get(i);
                assertThat(got).hasSize(384);
                for (int k = 0; k < want.length; k++) {
                    assertThat(Math.abs(got[k] - want[k])).as("row %d dim %d", i, k).isLessThan(1e-5f);
                }
            }
        }
    }

    @Test
    void query_selectsAndTransformsRows_beforeInference() throws Exception {
        Path model = Fixtures.tinyClassifier(dir.resolve("clf"), TinyWeights.of(3, 5), LABELS, false);
        Path in = dir.resolve("tickets.csv");
        Files.writeString(in, """
                ticket,body,lang
                A-1,Refund my invoice,en
                A-2,Rechnung bitte erstatten,de
                A-3,The app crashes,en
                A-4,Passwort vergessen,de
                """);
        Path out = dir.resolve("en.parquet");
        CliRun run = CliRun.of("predict", "-m", model.toString(), "-i", in.toString(), "--id-column", "ticket",
                "--query", "SELECT ticket, lower(body) AS text FROM input WHERE lang = 'en'", "--scores",
                "-o", out.toString(), "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();

        Map<String, Object[]> rows = new HashMap<>();
        try (Connection c = DuckDb.openInMemory(false); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ticket, label, score, scores FROM read_parquet(" + DuckDb.literal(out) + ")")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new Object[] {rs.getString(2), rs.getFloat(3), floats(rs.getArray(4))});
            }
        }
        assertThat(rows).containsOnlyKeys("A-1", "A-3");
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(model.toString()))) {
            List<Classification> expected = engine.classify(List.of("refund my invoice", "the app crashes"));
            String[] keys = {"A-1", "A-3"};
            for (int i = 0; i < 2; i++) {
                Object[] row = rows.get(keys[i]);
                assertThat(row[0]).isEqualTo(expected.get(i).label());
                assertThat((float) row[1]).isCloseTo((float) expected.get(i).score(), org.assertj.core.api.Assertions.within(1e-6f));
                assertThat((float[]) row[2]).hasSize(3);
            }
        }

        CliRun bad = CliRun.of("predict", "-m", model.toString(), "-i", in.toString(),
                "--query", "SELECT nope FROM input", "-o", dir.resolve("x.parquet").toString());
        assertThat(bad.exitCode()).isEqualTo(4);
        assertThat(bad.err()).contains("query over").contains("nope");
    }

    /**
     * 200,000 rows of about 430 characters: held in memory as strings they alone would exceed the
     * child's 64 MB heap, so finishing at all shows the file was streamed. The first run is killed with
     * SIGKILL once it has committed parts; the resumed run must give every row exactly once, in order.
     */
    @Test
    void killedRun_resumesWithEveryIdExactlyOnce_inBoundedMemory() throws Exception {
        Path model = Fixtures.tinyClassifier(dir.resolve("clf"), TinyWeights.of(3, 9), LABELS, false);
        Path in = dir.resolve("big.parquet");
        int rows = 200_000;
        sql("COPY (SELECT i AS id, 'ticket ' || (i % 500) || ': ' || repeat('please help me with my account ', 14) AS text "
                + "FROM range(" + rows + ") t(i)) TO " + DuckDb.literal(in) + " (FORMAT parquet)");
        Path out = dir.resolve("labels.parquet");
        List<String> args = List.of("predict", "-m", model.toString(), "-i", in.toString(), "--id-column", "id",
                "-o", out.toString(), "--part-rows", "4000", "--window", "1000");

        Process first = child(args, dir.resolve("first.log"));
        Path parts = ParquetSink.partsFolder(out);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (committedParts(parts) < 3 && first.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            first.waitFor(20, TimeUnit.MILLISECONDS);
        }
        assertThat(first.isAlive()).as("first run still running when killed: " + Files.readString(dir.resolve("first.log"))).isTrue();
        first.destroyForcibly(); // SIGKILL on Linux
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).doesNotExist();
        assertThat(committedParts(parts)).isGreaterThanOrEqualTo(3);

        List<String> resume = new ArrayList<>(args);
        resume.add("--resume");
        Process second = child(resume, dir.resolve("second.log"));
        assertThat(second.waitFor(300, TimeUnit.SECONDS)).as("resumed run finished").isTrue();
        String log = Files.readString(dir.resolve("second.log"), StandardCharsets.UTF_8);
        assertThat(second.exitValue()).as(log).isZero();
        assertThat(log).contains("already in the output");
        assertThat(parts).doesNotExist();

        try (Connection c = DuckDb.openInMemory(false); Statement s = c.createStatement()) {
            String table = "read_parquet(" + DuckDb.literal(out) + ")";
            try (ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT id), min(CAST(id AS BIGINT)), "
                    + "max(CAST(id AS BIGINT)) FROM " + table)) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(rows);
                assertThat(rs.getLong(2)).isEqualTo(rows);
                assertThat(rs.getLong(3)).isZero();
                assertThat(rs.getLong(4)).isEqualTo(rows - 1);
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM (SELECT CAST(id AS BIGINT) AS id, "
                    + "row_number() OVER () - 1 AS position FROM " + table + ") WHERE id <> position")) {
                rs.next();
                assertThat(rs.getLong(1)).as("rows out of order").isZero();
            }
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                texts.add("ticket " + i + ": " + "please help me with my account ".repeat(14));
            }
            try (Engine engine = Engine.open(Fixtures.resolver().resolve(model.toString()))) {
                List<Classification> expected = engine.classify(texts);
                try (ResultSet rs = s.executeQuery("SELECT CAST(id AS BIGINT) % 500, label, score FROM " + table
                        + " WHERE CAST(id AS BIGINT) % 997 = 0")) {
                    int checked = 0;
                    while (rs.next()) {
                        Classification want = expected.get(rs.getInt(1));
                        assertThat(rs.getString(2)).isEqualTo(want.label());
                        assertThat(Math.abs(rs.getFloat(3) - want.score())).isLessThan(1e-5f);
                        checked++;
                    }
                    assertThat(checked).isGreaterThan(200);
                }
            }
        }
    }

    private static long committedParts(Path parts) throws IOException {
        if (!Files.isDirectory(parts)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(parts)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).count();
        }
    }

    /** {@code peregrine} in a child JVM with a 64 MB heap. */
    private Process child(List<String> args, Path log) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx64m", "-cp",
                System.getProperty("java.class.path"),
                "-Dperegrine.home=" + System.getProperty("peregrine.home", "target/test-home"),
                Main.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = DuckDb.openInMemory(false); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static float[] floats(Array array) throws SQLException {
        Object[] values = (Object[]) array.getArray();
        float[] v = new float[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) values[i]).floatValue();
        }
        return v;
    }
}
