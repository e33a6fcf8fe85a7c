package dev.peregrine.spark;

import dev.peregrine.core.Task;
import java.util.List;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A Spark ML Transformer that classifies a string column with a Peregrine classifier: the label
 * goes to {@code outputCol} (string) and its probability to {@code scoreCol} (float), equal to
 * {@code Engine.classify}.
 *
 * <pre>{@code
 * Dataset<Row> out = new PeregrineClassifier()
 *         .setModel("/shared/models/ticket-classifier").setInputCol("body")
 *         .transform(df);   // adds label, score
 * }</pre>
 */
public final class PeregrineClassifier extends PeregrineTransformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final Param<String> scoreCol;

    public PeregrineClassifier() {
        this(randomUid("peregrineClassifier"));
    }

    /** Reads a transformer saved with {@code write().save(path)} (or inside a saved Pipeline). */
    public static MLReader<PeregrineClassifier> read() {
        return new DefaultParamsReadable<PeregrineClassifier>() { }.read();
    }

    public static PeregrineClassifier load(String path) {
        return read().load(path);
    }

    public PeregrineClassifier(String uid) {
        super(uid, "label");
        this.scoreCol = new Param<>(this, "scoreCol", "column to write the label's probability to");
        setDefault(scoreCol, "score");
    }

    public Param<String> scoreCol() {
        return scoreCol;
    }

    public String getScoreCol() {
        return getOrDefault(scoreCol);
    }

    public PeregrineClassifier setModel(String value) {
        set(model(), value);
        return this;
    }

    public PeregrineClassifier setInputCol(String value) {
        set(inputCol(), value);
        return this;
    }

    public PeregrineClassifier setOutputCol(String value) {
        set(outputCol(), value);
        return this;
    }

    public PeregrineClassifier setScoreCol(String value) {
        set(scoreCol, value);
        return this;
    }

    public PeregrineClassifier setBatchSize(int value) {
        set(batchSize(), value);
        return this;
    }

    public PeregrineClassifier setThreadsPerTask(int value) {
        set(threadsPerTask(), value);
        return this;
    }

    @Override
    List<StructField> outputFields() {
        return List.of(DataTypes.createStructField(getOutputCol(), DataTypes.StringType, true),
                DataTypes.createStructField(getScoreCol(), DataTypes.FloatType, true));
    }

    @Override
    PartitionPredictor partitionFunction(EngineSpec spec, int textIndex) {
        return new PartitionPredictor(spec, textIndex, Task.CLASSIFICATION);
    }
}
