package dev.peregrine.spark;

import dev.peregrine.core.Task;
import java.util.List;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A Spark ML Transformer that embeds a string column into an {@code array<float>} column with a
 * Peregrine embedding model (normalized as the model says), equal to {@code Engine.embed}.
 *
 * <pre>{@code
 * Dataset<Row> out = new PeregrineEmbedder()
 *         .setModel("all-minilm-l6-v2").setInputCol("text").setOutputCol("embedding")
 *         .transform(df);
 * }</pre>
 *
 * <p>Each partition runs through the executor's one engine for the model ({@link ExecutorEngines}),
 * in length-sorted batches of up to {@code batchSize} texts.
 */
public final class PeregrineEmbedder extends PeregrineTransformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    public PeregrineEmbedder() {
        this(randomUid("peregrineEmbedder"));
    }

    /** Reads a transformer saved with {@code write().save(path)} (or inside a saved Pipeline). */
    public static MLReader<PeregrineEmbedder> read() {
        return new DefaultParamsReadable<PeregrineEmbedder>() { }.read();
    }

    public static PeregrineEmbedder load(String path) {
        return read().load(path);
    }

    public PeregrineEmbedder(String uid) {
        super(uid, "embedding");
    }

    public PeregrineEmbedder setModel(String value) {
        set(model(), value);
        return this;
    }

    public PeregrineEmbedder setInputCol(String value) {
        set(inputCol(), value);
        return this;
    }

    public PeregrineEmbedder setOutputCol(String value) {
        set(outputCol(), value);
        return this;
    }

    public PeregrineEmbedder setBatchSize(int value) {
        set(batchSize(), value);
        return this;
    }

    public PeregrineEmbedder setThreadsPerTask(int value) {
        set(threadsPerTask(), value);
        return this;
    }

    @Override
    List<StructField> outputFields() {
        return List.of(DataTypes.createStructField(getOutputCol(),
                DataTypes.createArrayType(DataTypes.FloatType, false), true));
    }

    @Override
    PartitionPredictor partitionFunction(EngineSpec spec, int textIndex) {
        return new PartitionPredictor(spec, textIndex, Task.EMBEDDING);
    }
}
