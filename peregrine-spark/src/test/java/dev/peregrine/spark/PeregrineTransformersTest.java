package dev.peregrine.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.testing.Fixtures.TinyWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformers in Spark's local mode (two task threads, a failed task retried once). */
class PeregrineTransformersTest {

    private static final List<String> LABELS = List.of("billing", "technical", "general");
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("text", DataTypes.StringType, true);

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path classifier;
    private static String shippedClassifier;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkSession.builder()
                .master("local[2,2]") // two task threads; a task may fail once and be retried
                .appName("peregrine-spark-test")
                .config("spark.task.maxFailures", "2")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
                .getOrCreate();
        classifier = Fixtures.tinyClassifier(dir.resolve("tiny-tickets"), TinyWeights.of(3, 21), LABELS, false);
        shippedClassifier = SparkModels.ship(spark, classifier);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        ExecutorEngines.closeAll();
    }

    private static List<String> texts() {
        List<String> texts = new ArrayList<>(Fixtures.variedTexts());
        texts.add("Why was I charged twice?");
        return texts;
    }

    private static Dataset<Row> frame(List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create((long) i, texts.get(i)));
        }
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }

    @Test
    void embedderAndClassifier_equalTheEngine_withOneEnginePerModelInTheJvm() {
        List<String> texts = texts();
        Dataset<Row> df = frame(texts, 3);
        int enginesBefore = ExecutorEngines.count();
        List<Row> embedded = new PeregrineEmbedder().setBatchSize(8).transform(df).collectAsList();
        assertThat(ExecutorEngines.count()).as("one engine for the embedder, shared by its three tasks")
                .isEqualTo(enginesBefore + 1);
        List<Row> classified = new PeregrineClassifier().setModel(shippedClassifier).setOutputCol("label")
                .setScoreCol("confidence").setBatchSize(8).transform(df).collectAsList();
        assertThat(embedded).hasSize(texts.size());
        assertThat(classified).hasSize(texts.size());
        assertThat(ExecutorEngines.count()).as("and one for the classifier").isEqualTo(enginesBefore + 2);

        try (Engine engine = Engine.open(Fixtures.resolver().resolve(null))) {
            List<float[]> expected = engine.embed(texts);
            for (Row r : embedded) {
                int id = (int) r.getLong(0);
                List<Float> got = r.getList(r.fieldIndex("embedding"));
                float[] want = expected.get(id);
                assertThat(got).hasSize(want.length);
                for (int k = 0; k < want.length; k++) {
                    assertThat(Math.abs(got.get(k) - want[k])).as("text %d dim %d", id, k).isLessThan(1e-5f);
                }
            }
        }
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(classifier.toString()))) {
            List<Classification> expected = engine.classify(texts);
            for (Row r : classified) {
                Classification want = expected.get((int) r.getLong(0));
                assertThat(r.getString(r.fieldIndex("label"))).isEqualTo(want.label());
                assertThat(Math.abs(r.getFloat(r.fieldIndex("confidence")) - want.score())).isLessThan(1e-6f);
            }
        }
    }

    @Test
    void nullTexts_giveNullResults_andBadColumnsAreRefusedBeforeAnyTaskRuns() {
        List<Row> rows = List.of(RowFactory.create(0L, "hello"), RowFactory.create(1L, null));
        Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
        List<Row> out = new PeregrineClassifier().setModel(shippedClassifier).transform(df).orderBy("id").collectAsList();
        assertThat(out.get(0).getString(2)).isIn(LABELS);
        assertThat(out.get(1).isNullAt(2)).isTrue();
        assertThat(out.get(1).isNullAt(3)).isTrue();

        assertThatThrownBy(() -> new PeregrineEmbedder().setInputCol("body").transform(df))
                .hasMessageContaining("input column 'body' not found");
        assertThatThrownBy(() -> new PeregrineEmbedder().setInputCol("id").transform(df))
                .hasMessageContaining("must be a string");
        assertThatThrownBy(() -> new PeregrineEmbedder().setOutputCol("text").transform(df))
                .hasMessageContaining("already exists");
    }

    @Test
    void transformersSavedAndLoaded_keepTheirParams_asPipelineStagesDo() throws IOException {
        Path saved = dir.resolve("saved-classifier");
        PeregrineClassifier classifier = new PeregrineClassifier().setModel("/models/support").setInputCol("body")
                .setOutputCol("category").setScoreCol("p").setBatchSize(16).setThreadsPerTask(2);
        classifier.write().overwrite().save(saved.toString());
        PeregrineClassifier loaded = PeregrineClassifier.load(saved.toString());
        assertThat(loaded.uid()).isEqualTo(classifier.uid());
        assertThat(List.of(loaded.getModel(), loaded.getInputCol(), loaded.getOutputCol(), loaded.getScoreCol()))
                .containsExactly("/models/support", "body", "category", "p");
        assertThat(loaded.getBatchSize()).isEqualTo(16);
        assertThat(loaded.getThreadsPerTask()).isEqualTo(2);

        Path pipeline = dir.resolve("saved-pipeline");
        new org.apache.spark.ml.Pipeline().setStages(new org.apache.spark.ml.PipelineStage[] {
            new PeregrineEmbedder().setOutputCol("vector").setBatchSize(8)}).write().overwrite().save(pipeline.toString());
        org.apache.spark.ml.Pipeline reloaded = org.apache.spark.ml.Pipeline.load(pipeline.toString());
        PeregrineEmbedder embedder = (PeregrineEmbedder) reloaded.getStages()[0];
        assertThat(embedder.getOutputCol()).isEqualTo("vector");
        assertThat(embedder.getBatchSize()).isEqualTo(8);
    }

    @Test
    void parquetJob_readsParquet_writesParquet_withALabelPerRow() throws IOException {
        List<String> texts = texts();
        Path in = dir.resolve("in.parquet");
        frame(texts, 2).write().parquet(in.toString());
        Path out = dir.resolve("out.parquet");
        long written = ParquetJob.run(spark, "--input", in.toString(), "--output", out.toString(),
                "--task", "classify", "--ship-model", classifier.toString(), "--batch-size", "16", "--partitions", "3");
        assertThat(written).isEqualTo(texts.size());
        assertThat(Files.list(out).anyMatch(p -> p.getFileName().toString().endsWith(".parquet"))).isTrue();

        Map<Long, Row> byId = new HashMap<>();
        for (Row r : spark.read().parquet(out.toString()).collectAsList()) {
            byId.put(r.getLong(r.fieldIndex("id")), r);
        }
        assertThat(byId).hasSize(texts.size());
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(classifier.toString()))) {
            List<Classification> expected = engine.classify(texts);
            for (int i = 0; i < texts.size(); i++) {
                Row r = byId.get((long) i);
                assertThat(r.getString(r.fieldIndex("text"))).isEqualTo(texts.get(i));
                assertThat(r.getString(r.fieldIndex("label"))).isEqualTo(expected.get(i).label());
            }
        }
    }

    @Test
    void aTaskThatFailsOnItsFirstAttempt_isRetried_andTheOutputHasEveryRowOnce() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            texts.add("ticket " + i + (i % 3 == 0 ? " about a refund for my last invoice" : " app crash"));
        }
        Dataset<Row> classified = new PeregrineClassifier().setModel(shippedClassifier).setBatchSize(4)
                .transform(frame(texts, 3));
        // Fails partition 1's first attempt after some of its rows have gone by, mid-write.
        Dataset<Row> flaky = classified.mapPartitions(new FailFirstAttempt(), Encoders.row(classified.schema()));
        Path out = dir.resolve("retried.parquet");
        flaky.write().parquet(out.toString());

        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertThat(rows).hasSize(texts.size());
        assertThat(rows.stream().map(r -> r.getLong(0)).distinct().count()).isEqualTo(texts.size());
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(classifier.toString()))) {
            List<Classification> expected = engine.classify(texts);
            for (Row r : rows) {
                Classification want = expected.get((int) r.getLong(0));
                assertThat(r.getString(2)).isEqualTo(want.label());
                assertThat(Math.abs(r.getFloat(3) - want.score())).isLessThan(1e-6f);
            }
        }
    }

    /** Passes rows through, but the first attempt of partition 1 dies after 20 rows. */
    private static final class FailFirstAttempt implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            TaskContext task = TaskContext.get();
            boolean fail = task.attemptNumber() == 0 && task.partitionId() == 1;
            return new Iterator<>() {
                private int passed;

                @Override
                public boolean hasNext() {
                    return input.hasNext();
                }

                @Override
                public Row next() {
                    if (fail && ++passed > 20) {
                        throw new IllegalStateException("injected failure of the first attempt");
                    }
                    return input.next();
                }
            };
        }
    }
}
