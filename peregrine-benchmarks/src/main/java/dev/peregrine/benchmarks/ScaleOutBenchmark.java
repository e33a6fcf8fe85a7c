package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.DuckDb;
import dev.peregrine.datasets.DuckDbTable;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.datasets.offline.OfflinePredictor;
import dev.peregrine.datasets.offline.OutputLayout;
import dev.peregrine.datasets.offline.ParquetSink;
import dev.peregrine.spark.PeregrineEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Rows per second, and per core, of the three ways to embed a large file, on the same texts in one
 * process: the engine alone (texts already in memory, one {@code embed} call), {@code peregrine
 * predict}'s path (Parquet read by DuckDB, streamed in windows, Parquet parts written and merged),
 * and the Spark job in {@code local[2]} (Parquet in, {@link PeregrineEmbedder}, Parquet out). The
 * target (issue 15) is at least 0.8 of the engine for both. Every text is distinct, so predict's
 * reuse of repeated texts does not flatter it. Rounds rotate the order; the median round is reported.
 *
 * <pre>
 * peregrine-benchmarks/run ScaleOutBenchmark [--rows 20000] [--rounds 3] [--model all-minilm-l6-v2]
 *     [--spark-threads 1] [--json FILE]
 * </pre>
 */
public final class ScaleOutBenchmark {

    public static void main(String[] args) throws Exception {
        int rows = 20_000;
        int rounds = 3;
        String model = "all-minilm-l6-v2";
        int sparkThreads = 1;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--model" -> model = args[++i];
                case "--spark-threads" -> sparkThreads = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --rows N, --rounds N, --model NAME|DIR, --spark-threads N, --json FILE)");
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<String> texts = texts(rows);
        Path dir = Files.createTempDirectory("peregrine-scale-out");
        Path input = dir.resolve("texts.parquet");
        writeParquet(texts, input);
        System.err.printf(Locale.ROOT, "%d distinct texts, %d rounds, model %s, %s, %d cores%n", rows, rounds, model,
                Machine.cpuModel(), cores);

        ModelFolder folder = ModelResolver.standard().resolve(model);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("scale-out-benchmark")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString()).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        double[] engineRate = new double[rounds];
        double[] predictRate = new double[rounds];
        double[] sparkRate = new double[rounds];
        try (Engine engine = Engine.open(folder)) {
            // Warm-up, untimed: loads the Spark executor's engine and JIT-compiles every path.
            List<String> sample = texts.subList(0, Math.min(texts.size(), 256));
            engine.embed(sample);
            Path warm = dir.resolve("warm.parquet");
            writeParquet(sample, warm);
            predict(engine, warm, dir.resolve("warm-out.parquet"));
            spark(spark, folder, sparkThreads, warm, dir.resolve("warm-spark"));

            int threads = sparkThreads;
            for (int r = 0; r < rounds; r++) {
                int round = r;
                Runnable[] order = {
                    () -> engineRate[round] = texts.size() / seconds(() -> engine.embed(texts)),
                    () -> predictRate[round] = texts.size() / seconds(() -> predict(engine, input, dir.resolve("out.parquet"))),
                    () -> sparkRate[round] = texts.size() / seconds(() -> spark(spark, folder, threads, input,
                            dir.resolve("spark-out")))
                };
                for (int k = 0; k < order.length; k++) {
                    order[(k + r) % order.length].run();
                }
                System.err.printf(Locale.ROOT, "round %d: engine %.1f, predict %.1f, spark %.1f rows/s%n", r + 1,
                        engineRate[r], predictRate[r], sparkRate[r]);
            }
        } finally {
            spark.stop();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        double engine = Rounds.median(engineRate);
        double predict = Rounds.median(predictRate);
        double spark2 = Rounds.median(sparkRate);
        System.out.println();
        System.out.println("| path | rows/s | rows/s per core | vs engine |");
        System.out.println("|---|---:|---:|---:|");
        row("engine alone (texts in memory)", engine, cores, engine);
        row("predict: Parquet -> DuckDB -> Parquet", predict, cores, engine);
        row("Spark local[2]: Parquet -> PeregrineEmbedder -> Parquet", spark2, cores, engine);
        System.out.println("target: >= 0.80x of the engine for both (issue 15)");
        System.out.println("rounds engine:  " + Arrays.toString(round(engineRate)));
        System.out.println("rounds predict: " + Arrays.toString(round(predictRate)));
        System.out.println("rounds spark:   " + Arrays.toString(round(sparkRate)));
        if (json != null) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = mapper.createObjectNode();
            root.put("benchmark", "ScaleOutBenchmark");
            root.put("date", LocalDate.now().toString());
            root.put("cpu", Machine.cpuModel());
            root.put("instruction_sets", Machine.instructionSets());
            root.put("cores", cores);
            root.put("model", folder.name());
            root.put("rows", rows);
            root.put("rounds", rounds);
            ArrayNode paths = root.putArray("paths");
            paths.addObject().put("path", "engine").put("rows_per_s", engine).put("per_core", engine / cores).put("ratio", 1.0);
            paths.addObject().put("path", "predict-parquet").put("rows_per_s", predict).put("per_core", predict / cores)
                    .put("ratio", predict / engine);
            paths.addObject().put("path", "spark-local-2").put("rows_per_s", spark2).put("per_core", spark2 / cores)
                    .put("ratio", spark2 / engine);
            Files.writeString(json, mapper.writeValueAsString(root));
        }
    }

    /** Distinct texts of realistic lengths: the validation set, each copy made unique by a suffix. */
    static List<String> texts(int rows) {
        List<TextRecord> base = Datasets.validation();
        List<String> texts = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            texts.add(base.get(i % base.size()).text() + " (" + i + ")");
        }
        return texts;
    }

    private static void writeParquet(List<String> texts, Path file) throws SQLException, IOException {
        Path csv = Files.createTempFile("texts", ".jsonl");
        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            lines.add(mapper.writeValueAsString(java.util.Map.of("id", i, "text", texts.get(i))));
        }
        Files.write(csv, lines);
        try (Connection c = DuckDb.openInMemory(false); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT id, text FROM read_json(" + DuckDb.literal(csv) + ", format = 'newline_delimited') "
                    + "ORDER BY id) TO " + DuckDb.literal(file) + " (FORMAT parquet)");
        } finally {
            Files.deleteIfExists(csv);
        }
    }

    /** What {@code peregrine predict -i IN --id-column id -o OUT.parquet} runs. */
    private static void predict(Engine engine, Path input, Path output) {
        DuckDbTable table = DuckDbTable.open(input, DataFormat.PARQUET, null, "text", "id", null);
        OutputLayout layout = new OutputLayout(engine.info().task(), engine.info().labels(), "id", false, null);
        try (Stream<TextRecord> records = table.stream();
             ParquetSink sink = ParquetSink.open(output, layout, ParquetSink.DEFAULT_PART_ROWS, false)) {
            new OfflinePredictor(engine, OfflinePredictor.DEFAULT_WINDOW, OfflinePredictor.DEFAULT_REMEMBERED_TEXTS,
                    engine.info().normalize()).run(records.iterator(), sink, n -> { });
        }
    }

    /** The job's work: a small file is one Parquet split, so it is spread over both task slots first. */
    private static void spark(SparkSession spark, ModelFolder folder, int threads, Path input, Path output) {
        new PeregrineEmbedder().setModel(folder.root().toString()).setThreadsPerTask(threads)
                .transform(spark.read().parquet(input.toString()).repartition(2))
                .write().mode(SaveMode.Overwrite).parquet(output.toString());
    }

    private static double seconds(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static void row(String name, double rate, int cores, double engine) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.2fx |%n", name, rate, rate / cores, rate / engine);
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 10) / 10.0).toArray();
    }
}
