package dev.peregrine.spark;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The example job: Parquet in, Parquet out, every row with its embedding or label added.
 *
 * <pre>
 * spark-submit --class dev.peregrine.spark.ParquetJob peregrine-spark.jar \
 *   --input s3a://bucket/tickets/ --output s3a://bucket/tickets-embedded/ \
 *   [--task embed|classify] [--model NAME|PATH] [--ship-model LOCAL_DIR] [--text-column text] \
 *   [--output-column embedding] [--batch-size 32] [--threads 1] [--partitions N]
 * </pre>
 *
 * {@code --ship-model DIR} sends a local model folder to the executors ({@link SparkModels#ship});
 * without it {@code --model} must be readable on every executor (a shared path, or an embedded name
 * whose jar is on the executors' class path).
 */
public final class ParquetJob {

    private static final List<String> FLAGS = List.of("--input", "--output", "--task", "--model", "--ship-model",
            "--text-column", "--output-column", "--batch-size", "--threads", "--partitions");

    private ParquetJob() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("peregrine-parquet").getOrCreate();
        try {
            run(spark, args);
        } finally {
            spark.stop();
        }
    }

    /** Runs the job in an existing session; returns the number of rows written. */
    public static long run(SparkSession spark, String... args) {
        Map<String, String> a = parse(args);
        String input = require(a, "--input");
        String output = require(a, "--output");
        String task = a.getOrDefault("--task", "embed");
        String model = a.get("--model");
        if (a.containsKey("--ship-model")) {
            model = SparkModels.ship(spark, Path.of(a.get("--ship-model")));
        }
        int batchSize = Integer.parseInt(a.getOrDefault("--batch-size", "32"));
        int threads = Integer.parseInt(a.getOrDefault("--threads", "1"));
        String textColumn = a.getOrDefault("--text-column", "text");

        Dataset<Row> in = spark.read().parquet(input);
        if (a.containsKey("--partitions")) {
            in = in.repartition(Integer.parseInt(a.get("--partitions")));
        }
        PeregrineTransformer transformer = switch (task) {
            case "embed", "embedding" -> new PeregrineEmbedder()
                    .setInputCol(textColumn).setOutputCol(a.getOrDefault("--output-column", "embedding"))
                    .setBatchSize(batchSize).setThreadsPerTask(threads);
            case "classify", "classification" -> new PeregrineClassifier()
                    .setInputCol(textColumn).setOutputCol(a.getOrDefault("--output-column", "label"))
                    .setBatchSize(batchSize).setThreadsPerTask(threads);
            default -> throw new IllegalArgumentException("--task must be embed or classify, not " + task);
        };
        if (model != null) {
            transformer.set(transformer.model(), model);
        }
        Dataset<Row> out = transformer.transform(in);
        out.write().mode(SaveMode.Overwrite).parquet(output);
        return spark.read().parquet(output).count();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!FLAGS.contains(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (options: " + FLAGS + ")");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            values.put(args[i], args[++i]);
        }
        return values;
    }

    private static String require(Map<String, String> a, String flag) {
        String v = a.get(flag);
        if (v == null) {
            throw new IllegalArgumentException(flag + " is required");
        }
        return v;
    }
}
